/**
 * The CLI's argument parser under arbitrary arguments (fast-check), in-process through
 * `createProgram()`: every command path and option is read off the program itself, and each
 * generated command line either reaches a command (its action is replaced by a recorder here,
 * so nothing starts) or ends with a usage error — a CommanderError with a non-zero exit code and
 * an `error:` line on stderr, never an uncaught exception or a stack trace. Help exits 0.
 */
import { type Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProgram } from './program';

interface Leaf {
  path: string[];
  flags: string[];
}

/** Every command that has an action, with its options' flags. */
function leaves(command: Command, path: string[] = []): Leaf[] {
  const own: Leaf[] =
    command.commands.length === 0
      ? [
          {
            path,
            flags: command.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]),
          },
        ]
      : [];
  return [...own, ...command.commands.flatMap((c) => leaves(c, [...path, c.name()]))];
}

/** The program, quiet and in-process: exits become CommanderErrors, actions only record. */
function quietProgram(): { program: Command; out: string[]; err: string[]; ran: string[][] } {
  const out: string[] = [];
  const err: string[] = [];
  const ran: string[][] = [];
  const program = createProgram();
  const prepare = (c: Command, path: string[]) => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    if (c.commands.length === 0) c.action(() => void ran.push(path));
    for (const sub of c.commands) prepare(sub, [...path, sub.name()]);
  };
  prepare(program, []);
  return { program, out, err, ran };
}

const all = leaves(createProgram());

const word = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    '-',
    '--',
    '-x',
    '--nope',
    '--help',
    '-h',
    '--json',
    '=',
    '--port=',
    '\n',
    '💥',
    '-1',
    'NaN',
    'x'.repeat(5_000),
  ),
);

/** A command line: a known command (or a random word), then its options with any values, and extra words. */
const argv = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(...all)
      .chain((leaf) =>
        fc
          .tuple(
            fc.array(
              fc.tuple(
                leaf.flags.length ? fc.constantFrom(...leaf.flags) : word,
                fc.option(word, { nil: undefined }),
                fc.boolean(),
              ),
              { maxLength: 5 },
            ),
            fc.array(word, { maxLength: 3 }),
          )
          .map(([options, extra]) => [
            ...leaf.path,
            ...options.flatMap(([flag, value, joined]) =>
              value === undefined
                ? [flag]
                : joined && flag.startsWith('--')
                  ? [`${flag}=${value}`]
                  : [flag, value],
            ),
            ...extra,
          ]),
      ),
  },
  { weight: 1, arbitrary: fc.array(word, { maxLength: 6 }) },
);

describe('baton: arbitrary arguments reach a command or end in a usage error', () => {
  it('knows its commands', () => {
    expect(all.map((l) => l.path.join(' '))).toEqual(
      expect.arrayContaining(['start', 'sim', 'task submit']),
    );
  });

  it('never an uncaught exception', async () => {
    let reached = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const { program, err, ran } = quietProgram();
        try {
          await program.parseAsync(args, { from: 'user' });
          expect(ran.length).toBe(1);
          reached++;
        } catch (e) {
          expect(e, `not a usage error: ${(e as Error)?.stack}`).toBeInstanceOf(CommanderError);
          const ce = e as CommanderError;
          // --help: the usage on stdout, exit 0.
          if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version') {
            expect(ce.exitCode).toBe(0);
            return;
          }
          refused++;
          expect(ce.exitCode).not.toBe(0);
          const printed = err.join('');
          expect(printed).not.toMatch(/\n\s+at .+:\d+:\d+/);
          // A group without its subcommand: the group's usage on stderr; anything else: `error:`.
          if (ce.code === 'commander.help') expect(printed).toMatch(/^Usage: /m);
          else expect(printed).toMatch(/^error: /m);
        }
      }),
      { numRuns: 400 },
    );
    expect(reached).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
