import { describeError } from './errors';
import { createProgram } from './program';

try {
  await createProgram().parseAsync(process.argv);
} catch (err) {
  const { lines, exitCode } = describeError(err);
  for (const line of lines) console.error(line);
  process.exit(exitCode);
}
