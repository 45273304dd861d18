import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Limits on one sandboxed process tree. Absent: not limited. */
export interface ResourceLimits {
  /** Memory of the whole tree (bytes), page cache and tmpfs included. */
  memoryBytes?: number | undefined;
  /** Processes and threads at once. */
  maxProcesses?: number | undefined;
  /** CPU time of the whole tree (seconds). */
  cpuSeconds?: number | undefined;
  /** Disk the workspace and the private HOME may use (bytes); checked by the sandbox. */
  diskBytes?: number | undefined;
}

export type LimitName = 'memory' | 'processes' | 'cpu' | 'disk';

export const LIMIT_LABELS: Record<LimitName, string> = {
  memory: 'memory',
  processes: 'number of processes',
  cpu: 'CPU time',
  disk: 'workspace disk use',
};

/** A limit a process tree ran into. */
export interface LimitHit {
  limit: LimitName;
  /** e.g. "memory limit of 512 MiB reached (the kernel killed a process)". */
  message: string;
}

/** Control of one process tree: how its first process joins, what it has used, which limit it hit. */
export interface ResourceGroup {
  /** Shell commands run by the tree's first process (as `$$`) before it execs the sandbox. */
  readonly enterScript: string;
  /** Arguments for `prlimit` (rlimits, when no cgroup enforces the limit). */
  readonly rlimitArgs: string[];
  /** Limits enforced by this group, and those that are not where this worker runs. */
  readonly enforced: LimitName[];
  readonly unenforced: LimitName[];
  /** The limit the tree ran into, if any (reads the kernel's counters). */
  check(): LimitHit | undefined;
  /** CPU seconds and peak memory used so far (when known). */
  usage(): { cpuSeconds?: number; memoryPeakBytes?: number };
  /** Kills every process of the group. */
  killAll(): void;
  /** Removes the group (after its processes are gone). */
  remove(): void;
}

export interface ResourceController {
  readonly kind: 'cgroup2' | 'cgroup1' | 'rlimit';
  /** Why a stronger kind could not be used. */
  readonly note?: string | undefined;
  create(name: string, limits: ResourceLimits): ResourceGroup;
}

const MiB = 2 ** 20;
const mib = (b: number) => `${Math.round(b / MiB)} MiB`;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function counter(text: string | undefined, key: string): number {
  const m = text?.match(new RegExp(`^${key} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

/** The cgroup paths of this process, per v1 controller ('' = the v2 hierarchy). */
function ownCgroups(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const m = line.match(/^\d+:([^:]*):(.*)$/);
    if (!m) continue;
    for (const c of (m[1] ?? '').split(',')) out.set(c, m[2] ?? '/');
  }
  return out;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Which limit a group ran into, from its kernel counters (the same for cgroup v1 and v2). */
function limitHit(
  limits: ResourceLimits,
  oomKills: number,
  pidsRefused: number,
  cpuSeconds: number | undefined,
): LimitHit | undefined {
  if (oomKills > 0)
    return {
      limit: 'memory',
      message: `memory limit of ${mib(limits.memoryBytes ?? 0)} reached (the kernel killed a process)`,
    };
  if (limits.maxProcesses !== undefined && pidsRefused > 0)
    return {
      limit: 'processes',
      message: `process limit of ${limits.maxProcesses} reached (a fork or thread was refused)`,
    };
  if (
    limits.cpuSeconds !== undefined &&
    cpuSeconds !== undefined &&
    cpuSeconds >= limits.cpuSeconds
  )
    return {
      limit: 'cpu',
      message: `CPU time limit of ${limits.cpuSeconds} s reached (${cpuSeconds.toFixed(1)} s used)`,
    };
  return undefined;
}

function killPids(procsFile: string): void {
  for (const pid of (read(procsFile) ?? '').split('\n')) {
    const n = Number(pid);
    if (n > 0) {
      try {
        process.kill(n, 'SIGKILL');
      } catch {}
    }
  }
}

/** cgroup v1: one group per controller (memory, pids, cpuacct), below this process's own. */
function cgroupV1(root: string, base: Map<string, string>): ResourceController {
  const dir = (ctl: string, name: string) =>
    join(root, ctl, base.get(ctl) ?? '/', `baton-${process.pid}`, name);
  return {
    kind: 'cgroup1',
    create(name, limits) {
      const dirs: string[] = [];
      const make = (ctl: string) => {
        const d = dir(ctl, name);
        mkdirSync(d, { recursive: true });
        dirs.push(d);
        return d;
      };
      const mem = make('memory');
      if (limits.memoryBytes !== undefined) {
        writeFileSync(join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        // Swap counts too, where the kernel accounts it.
        if (existsSync(join(mem, 'memory.memsw.limit_in_bytes')))
          writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      }
      const pids = make('pids');
      if (limits.maxProcesses !== undefined)
        writeFileSync(join(pids, 'pids.max'), String(limits.maxProcesses));
      const cpu = make('cpuacct');
      const cpuSeconds = () => {
        const ns = read(join(cpu, 'cpuacct.usage'));
        return ns === undefined ? undefined : Number(ns) / 1e9;
      };
      return {
        enterScript: dirs
          .map((d) => `echo $$ > ${shellQuote(join(d, 'cgroup.procs'))}`)
          .join(' && '),
        rlimitArgs: [],
        enforced: ['memory', 'processes', 'cpu'],
        unenforced: [],
        check: () =>
          limitHit(
            limits,
            counter(read(join(mem, 'memory.oom_control')), 'oom_kill'),
            counter(read(join(pids, 'pids.events')), 'max'),
            cpuSeconds(),
          ),
        usage() {
          const peak = read(join(mem, 'memory.max_usage_in_bytes'));
          return {
            cpuSeconds: cpuSeconds(),
            ...(peak ? { memoryPeakBytes: Number(peak) } : {}),
          };
        },
        killAll() {
          for (let i = 0; i < 3; i++) for (const d of dirs) killPids(join(d, 'cgroup.procs'));
        },
        remove() {
          for (const d of dirs) {
            for (const x of [d, join(d, '..')]) {
              try {
                rmdirSync(x);
              } catch {}
            }
          }
        },
      };
    },
  };
}

/** cgroup v2: one group with memory, pids and cpu below this process's own (delegated) group. */
function cgroupV2(root: string, own: string): ResourceController {
  const parent = join(root, own, `baton-${process.pid}`);
  return {
    kind: 'cgroup2',
    create(name, limits) {
      const d = join(parent, name);
      mkdirSync(d, { recursive: true });
      if (limits.memoryBytes !== undefined) {
        writeFileSync(join(d, 'memory.max'), String(limits.memoryBytes));
        if (existsSync(join(d, 'memory.swap.max'))) writeFileSync(join(d, 'memory.swap.max'), '0');
      }
      if (limits.maxProcesses !== undefined)
        writeFileSync(join(d, 'pids.max'), String(limits.maxProcesses));
      const cpuSeconds = () => {
        const usec = counter(read(join(d, 'cpu.stat')), 'usage_usec');
        return usec / 1e6;
      };
      return {
        enterScript: `echo $$ > ${shellQuote(join(d, 'cgroup.procs'))}`,
        rlimitArgs: [],
        enforced: ['memory', 'processes', 'cpu'],
        unenforced: [],
        check: () =>
          limitHit(
            limits,
            counter(read(join(d, 'memory.events')), 'oom_kill'),
            counter(read(join(d, 'pids.events')), 'max'),
            cpuSeconds(),
          ),
        usage() {
          const peak = read(join(d, 'memory.peak'));
          return { cpuSeconds: cpuSeconds(), ...(peak ? { memoryPeakBytes: Number(peak) } : {}) };
        },
        killAll() {
          if (existsSync(join(d, 'cgroup.kill'))) {
            try {
              writeFileSync(join(d, 'cgroup.kill'), '1');
              return;
            } catch {}
          }
          for (let i = 0; i < 3; i++) killPids(join(d, 'cgroup.procs'));
        },
        remove() {
          for (const x of [d, parent]) {
            try {
              rmdirSync(x);
            } catch {}
          }
        },
      };
    },
  };
}

/**
 * No writable cgroup: per-process rlimits through `prlimit` (util-linux). CPU time and the
 * process count are then per process (a tree can use more in all); memory is not enforced
 * (an address-space limit breaks Claude Code's runtime, which reserves far more than it uses).
 */
function rlimits(prlimit: string | undefined, note: string): ResourceController {
  return {
    kind: 'rlimit',
    note,
    create(_name, limits) {
      const args: string[] = [];
      const enforced: LimitName[] = [];
      const unenforced: LimitName[] = [];
      if (limits.memoryBytes !== undefined) unenforced.push('memory');
      if (prlimit) {
        if (limits.cpuSeconds !== undefined) {
          args.push(`--cpu=${limits.cpuSeconds}`);
          enforced.push('cpu');
        }
        if (limits.maxProcesses !== undefined) {
          args.push(`--nproc=${limits.maxProcesses}`);
          enforced.push('processes');
        }
        if (limits.diskBytes !== undefined) args.push(`--fsize=${limits.diskBytes}`);
      } else {
        if (limits.cpuSeconds !== undefined) unenforced.push('cpu');
        if (limits.maxProcesses !== undefined) unenforced.push('processes');
      }
      return {
        enterScript: '',
        rlimitArgs: args.length && prlimit ? [prlimit, ...args, '--'] : [],
        enforced,
        unenforced,
        check: () => undefined,
        usage: () => ({}),
        killAll() {},
        remove() {},
      };
    },
  };
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir || '.', cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function probe(c: ResourceController): void {
  const g = c.create(`probe-${Date.now().toString(36)}`, {
    memoryBytes: 64 * MiB,
    maxProcesses: 64,
  });
  g.remove();
}

export interface DetectOptions {
  /** Where cgroup file systems are mounted. Default /sys/fs/cgroup. */
  root?: string;
  /** Force a kind (`auto`: the strongest that works). */
  prefer?: 'auto' | 'cgroup2' | 'cgroup1' | 'rlimit';
}

/**
 * The strongest resource control that works here: cgroup v2 (a delegated group with the memory,
 * pids and cpu controllers), cgroup v1 (memory, pids and cpuacct hierarchies), else rlimits.
 * Each is tried by creating and removing a group.
 */
export function detectResourceController(o: DetectOptions = {}): ResourceController {
  const root = o.root ?? '/sys/fs/cgroup';
  const prefer = o.prefer ?? 'auto';
  const own = ownCgroups();
  const notes: string[] = [];
  if (prefer === 'auto' || prefer === 'cgroup2') {
    const v2 = own.get('');
    const controllers = read(join(root, 'cgroup.controllers'));
    if (
      v2 !== undefined &&
      controllers &&
      /\bmemory\b/.test(controllers) &&
      /\bpids\b/.test(controllers)
    ) {
      try {
        const c = cgroupV2(root, v2);
        const sub = join(root, v2, `baton-${process.pid}`);
        mkdirSync(sub, { recursive: true });
        writeFileSync(join(sub, 'cgroup.subtree_control'), '+memory +pids +cpu');
        probe(c);
        return c;
      } catch (err) {
        notes.push(`cgroup v2: ${(err as Error).message}`);
      }
    } else notes.push('cgroup v2: no memory and pids controllers here');
  }
  if (prefer === 'auto' || prefer === 'cgroup1') {
    if (['memory', 'pids', 'cpuacct'].every((c) => own.has(c) && existsSync(join(root, c)))) {
      try {
        const c = cgroupV1(root, own);
        probe(c);
        return c;
      } catch (err) {
        notes.push(`cgroup v1: ${(err as Error).message}`);
      }
    } else notes.push('cgroup v1: memory, pids and cpuacct hierarchies not all mounted');
  }
  return rlimits(which('prlimit'), notes.join('; ') || 'rlimits requested');
}
