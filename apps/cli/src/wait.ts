/** Polls `url` until it answers (any HTTP status < 500 unless `okOnly`), the process exits, or the time is up. */
export async function waitForHttp(
  url: string,
  options: {
    timeoutMs: number;
    exited?: Promise<unknown>;
    okOnly?: boolean;
    headers?: Record<string, string>;
  },
): Promise<void> {
  let gone = false;
  void options.exited?.then(() => {
    gone = true;
  });
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the process exited before ${url} answered`);
    try {
      const res = await fetch(url, {
        headers: options.headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (options.okOnly ? res.ok : res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${url} did not answer within ${Math.round(options.timeoutMs / 1000)} s (${last})`,
  );
}
