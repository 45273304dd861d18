import { Command } from 'commander';

export function simCommand(): Command {
  return new Command('sim')
    .description(
      'Run the local Anthropic Messages API simulator (the default provider without ANTHROPIC_API_KEY).',
    )
    .option('--port <port>', 'port to listen on', '4010')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--rpm <n>', 'requests per minute per API key and model class')
    .option('--itpm <n>', 'input tokens per minute (cache reads exempt)')
    .option('--otpm <n>', 'output tokens per minute')
    .option('--scenario <file>', 'JSON or YAML scenario file scripting the responses')
    .option(
      '--faults <spec>',
      'faults to inject, e.g. "overloaded:0.1,reset-mid:every=20" (see packages/simulator/README.md)',
    )
    .option('--seed <n>', 'random seed for generated text and probabilistic faults')
    .option('--ttft-ms <ms>', 'time to first token')
    .option('--tps <n>', 'output tokens per second (0 = as fast as possible)')
    .option(
      '--output-tokens <dist>',
      'output length distribution, e.g. "fixed:50" or "uniform:20-400"',
    )
    .option('--api-key <key...>', 'accept only these API keys (default: any non-empty key)')
    .action(async (flags: Record<string, string | string[] | undefined>) => {
      const { simulatorOptionsFromFlags, startSimulator } = await import('@baton/simulator');
      const options = simulatorOptionsFromFlags({
        port: flags.port as string,
        host: flags.host as string,
        rpm: flags.rpm as string | undefined,
        itpm: flags.itpm as string | undefined,
        otpm: flags.otpm as string | undefined,
        scenario: flags.scenario as string | undefined,
        faults: flags.faults as string | undefined,
        seed: flags.seed as string | undefined,
        ttftMs: flags.ttftMs as string | undefined,
        tps: flags.tps as string | undefined,
        outputTokens: flags.outputTokens as string | undefined,
        apiKeys: flags.apiKey,
      });
      const sim = await startSimulator({ ...options, log: (line: string) => console.log(line) });
      console.log(`simulator listening on ${sim.url} (stats: ${sim.url}/_sim/stats)`);
      const stop = () => {
        sim.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
