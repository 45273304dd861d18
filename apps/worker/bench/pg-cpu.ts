import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by the PostgreSQL server this process started (postmaster and its
 * backends, live and reaped), from /proc: a benchmark's embedded server is its child.
 */
export function pgCpuSeconds(): number {
  const stat = (pid: string) =>
    readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  let ticks = 0;
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      const f = stat(pid);
      if (f[1] !== String(process.pid)) continue; // ppid: the postmaster is our child
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) continue;
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      for (const c of pids) {
        try {
          const g = stat(c);
          if (g[1] === pid) ticks += Number(g[11]) + Number(g[12]);
        } catch {}
      }
    } catch {}
  }
  return ticks / 100;
}
