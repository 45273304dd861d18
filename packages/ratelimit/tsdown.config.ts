import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts', 'src/postgres.ts'],
  format: 'esm',
  dts: true,
  platform: 'node',
  clean: true,
  fixedExtension: false,
});
