import { createProgram } from './program';

try {
  await createProgram().parseAsync(process.argv);
} catch (err) {
  console.error(`baton: ${(err as Error).message}`);
  process.exit(1);
}
