import { configDefaults, defineConfig } from 'vitest/config';

// The fixtures are trees for the boundary check to read (a component's unit test among them),
// not tests to run.
export default defineConfig({
  test: { exclude: [...configDefaults.exclude, 'fixtures/**'] },
});
