/**
 * Load generator, run in its own process so it does not steal the server's core.
 * Keep-alive connections, a fixed number in flight, latency per request.
 * Usage (via fork): argv = [url, mode ('json' | 'stream'), seconds, concurrency, warmupSeconds]
 */
import { Agent, request } from 'node:http';

const [url = '', mode = 'json', secondsArg = '5', concurrencyArg = '32', warmupArg = '1'] =
  process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const warmup = Number(warmupArg);
const target = new URL('/v1/messages', url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const body = JSON.stringify({
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  stream: mode === 'stream',
  system: 'You are a helpful assistant. Answer briefly.',
  messages: [
    {
      role: 'user',
      content: 'Summarise the benefits of token-bucket rate limiting in a few sentences.',
    },
  ],
});
const headers = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  'x-api-key': 'sk-bench',
  'anthropic-version': '2023-06-01',
};

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(target, { method: 'POST', agent, headers }, (res) => {
      let last = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        last = c;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else if (mode === 'stream' && !last.includes('message_stop'))
          reject(new Error('stream without message_stop'));
        else resolve(performance.now() - t0);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(): Promise<void> {
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let errors = 0;
  const worker = async () => {
    while (!stop) {
      try {
        const ms = await once();
        if (measuring) latencies.push(ms);
      } catch {
        errors++;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, warmup * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Number(
      (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2),
    );
  const line = {
    mode,
    requests: latencies.length,
    seconds: Number(elapsed.toFixed(2)),
    rps: Math.round(latencies.length / elapsed),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    concurrency,
    errors,
  };
  process.send?.(line);
  agent.destroy();
}

run().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
