import { Command } from 'commander';
import { budgetCommand } from './commands/budget';
import { dbCommand } from './commands/db';
import { demoPasswordCommand } from './commands/demo';
import { mcpCommand } from './commands/mcp';
import { operatorCommand } from './commands/operator';
import { repoCommand } from './commands/repo';
import { simCommand } from './commands/sim';
import { startCommand } from './commands/start';
import { taskCommand } from './commands/task';
import { workerCommand } from './commands/worker';
import { useConfigFile } from './config';

export function createProgram(): Command {
  const program = new Command('baton')
    .description(
      'Baton runs Claude work at team scale: a console, a fleet of workers, and one rate-limited integration layer.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .option(
      '--config <file>',
      "Baton's configuration file, YAML or JSON (default models, the Claude Code section, multi_agent); also BATON_CONFIG",
    )
    .hook('preAction', async (cmd) => {
      const file = cmd.opts().config as string | undefined;
      if (file !== undefined) await useConfigFile(file);
    });
  program.addCommand(startCommand());
  program.addCommand(dbCommand());
  program.addCommand(simCommand());
  program.addCommand(workerCommand());
  program.addCommand(taskCommand());
  program.addCommand(repoCommand());
  program.addCommand(budgetCommand());
  program.addCommand(mcpCommand());
  program.addCommand(demoPasswordCommand());
  program.addCommand(operatorCommand());
  return program;
}
