import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diskUsage } from './disk-usage.js';
import { type ProviderResponse, startProviderProxy } from './provider-proxy.js';
import {
  detectResourceController,
  type LimitHit,
  type LimitName,
  type ResourceController,
  type ResourceGroup,
  type ResourceLimits,
} from './resource-limits.js';
import type {
  Sandbox,
  SandboxCheck,
  SandboxInfo,
  SandboxOpenSpec,
  SandboxSession,
  SpawnOptionsLike,
} from './types.js';

const execFileAsync = promisify(execFile);

/** Where things are inside the sandbox. */
export const SANDBOX_PATHS = {
  workspace: '/workspace',
  home: '/home/baton',
  claude: '/opt/baton/claude',
  node: '/opt/baton/node',
  run: '/run/baton',
} as const;

/** The loopback port the in-sandbox forwarder listens on (the sandbox has its own network). */
const INSIDE_PORT = 4010;
const INSIDE_UID = 1000;

/**
 * The forwarder and launcher that runs first inside the sandbox (on the worker's own Node.js):
 * it listens on 127.0.0.1 inside the sandbox's network namespace, passes each connection to the
 * provider proxy's unix socket, then starts Claude Code with the same stdio and mirrors its exit.
 */
const LAUNCHER = `const net=require('net'),cp=require('child_process');
const [sock,port,...cmd]=process.argv.slice(1);
const srv=net.createServer(c=>{const u=net.connect(sock);const k=()=>{c.destroy();u.destroy()};c.pipe(u);u.pipe(c);c.on('error',k);u.on('error',k);c.on('close',k);u.on('close',k)});
srv.on('error',e=>{process.stderr.write('baton-sandbox: forwarder: '+e.message+'\\n');process.exit(125)});
srv.listen(Number(port),'127.0.0.1',()=>{const ch=cp.spawn(cmd[0],cmd.slice(1),{stdio:'inherit'});
for(const s of['SIGTERM','SIGINT','SIGHUP'])process.on(s,()=>ch.kill(s));
ch.on('error',e=>{process.stderr.write('baton-sandbox: '+cmd[0]+': '+e.message+'\\n');process.exit(126)});
ch.on('exit',(c,s)=>process.exit(c==null?128+(require('os').constants.signals[s]||9):c))});`;

/** Host /etc entries the sandbox sees (read-only): certificates, links of alternatives, time zone. */
const ETC_ENTRIES = [
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'nsswitch.conf',
  'mime.types',
  'bash.bashrc',
  'profile',
  'inputrc',
];

/** Host system directories (read-only); a merged-/usr system gets its links instead. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Variables of the SDK's environment that describe the host and never go inside. */
const HOST_ONLY_ENV = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'SHELL',
  'USER',
  'LOGNAME',
  'PWD',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'ANTHROPIC_AUTH_TOKEN',
]);

export interface BubblewrapOptions {
  /** The bwrap executable. Default: `bwrap` on PATH. */
  bwrap?: string;
  /** Node.js for the in-sandbox forwarder. Default: this process's. */
  node?: string;
  /**
   * Host uid/gid the sandbox runs as when this process is root (via `setpriv`): files it
   * writes belong to it, and even a process that left the namespaces would be nobody.
   * Default 65534 (nobody); `false` keeps this process's uid.
   */
  hostUser?: { uid: number; gid: number } | false;
  /** Limits of every session that sets none. */
  limits?: ResourceLimits;
  /** Resource control. Default: the strongest that works here (cgroup v2, v1, rlimits). */
  resources?: ResourceController;
  /** Parent of the per-session run directories (socket, /etc files). Default: the OS temp dir. */
  runRoot?: string;
  /** Extra host paths bound read-only at the same place (e.g. a toolchain). */
  readOnlyPaths?: string[];
  /** How often resource counters are read. Default 500 ms. */
  pollMs?: number;
}

function which(cmd: string): string | undefined {
  if (cmd.includes('/')) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir || '.', cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** lchown of a whole tree (links themselves, never their targets). */
export function chownTree(root: string, uid: number, gid: number): void {
  const stack = [root];
  while (stack.length) {
    const p = stack.pop() as string;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.uid !== uid || st.gid !== gid) lchownSync(p, uid, gid);
    if (st.isDirectory()) for (const n of readdirSync(p)) stack.push(join(p, n));
  }
}

/** The line of a failed command's output that says what went wrong. */
function firstError(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /^(bwrap|setpriv|prlimit):|Error/.test(l)) ??
    lines[0] ??
    'no output'
  ).slice(0, 300);
}

function etcFiles(dir: string): void {
  writeFileSync(
    join(dir, 'passwd'),
    `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nbaton:x:${INSIDE_UID}:${INSIDE_UID}:Baton task:${SANDBOX_PATHS.home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  );
  writeFileSync(join(dir, 'group'), `root:x:0:\nbaton:x:${INSIDE_UID}:\nnogroup:x:65534:\n`);
  writeFileSync(join(dir, 'hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
  writeFileSync(join(dir, 'hostname'), 'baton-task\n');
  writeFileSync(join(dir, 'resolv.conf'), '# no name service inside a Baton sandbox\n');
}

/**
 * A bubblewrap sandbox around the whole Claude Code process: new user, pid, ipc, uts, mount,
 * cgroup and network namespaces; the system directories and the Claude Code binary read-only;
 * the workspace and a private HOME read-write; a private /tmp; nothing else of the host. The
 * only way out is the provider proxy (the provider's origin, with the key added outside).
 */
export function bubblewrapSandbox(options: BubblewrapOptions = {}): Sandbox {
  const bwrap = which(options.bwrap ?? 'bwrap');
  const nodePath = options.node ?? process.execPath;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hostUser =
    isRoot && options.hostUser !== false
      ? (options.hostUser ?? { uid: 65534, gid: 65534 })
      : undefined;
  const setpriv = hostUser ? which('setpriv') : undefined;
  const pollMs = options.pollMs ?? 500;
  let controller: ResourceController | undefined = options.resources;
  const resources = () => {
    controller ??= detectResourceController();
    return controller;
  };
  let checked: Promise<SandboxCheck> | undefined;
  let checkedAt = 0;
  /** The last check; a failed one is repeated after 30 s (the operator may have fixed it). */
  const cachedCheck = (): Promise<SandboxCheck> => {
    if (checked && Date.now() - checkedAt > 30_000) {
      const prev = checked;
      void prev.then((c) => {
        if (!c.ok && checked === prev) checked = undefined;
      });
    }
    if (!checked) {
      checkedAt = Date.now();
      checked = check();
    }
    return checked;
  };

  const baseArgs = (): string[] => {
    const a = [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--uid',
      String(INSIDE_UID),
      '--gid',
      String(INSIDE_UID),
      '--hostname',
      'baton-task',
    ];
    for (const d of SYSTEM_DIRS) {
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(d);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        const target = realpathSync(d);
        a.push('--symlink', target.startsWith('/usr/') ? target.slice(1) : target, d);
      } else a.push('--ro-bind', d, d);
    }
    for (const e of ETC_ENTRIES) a.push('--ro-bind-try', `/etc/${e}`, `/etc/${e}`);
    for (const p of options.readOnlyPaths ?? []) a.push('--ro-bind', p, p);
    a.push('--proc', '/proc', '--dev', '/dev');
    return a;
  };

  async function check(): Promise<SandboxCheck> {
    if (!bwrap)
      return {
        ok: false,
        reason:
          'bubblewrap (bwrap) is not installed: install the bubblewrap package (Debian/Ubuntu: apt-get install bubblewrap), or set BATON_SANDBOX=off on a developer machine',
      };
    if (hostUser && !setpriv)
      return {
        ok: false,
        reason:
          'setpriv (util-linux) is missing: it drops the sandbox to an unprivileged host user',
      };
    let version = '';
    try {
      version = (await execFileAsync(bwrap, ['--version'], { timeout: 5000 })).stdout.trim();
    } catch (err) {
      return { ok: false, reason: `${bwrap} --version failed: ${(err as Error).message}` };
    }
    const rc = resources();
    // A real sandbox with everything a session gets, running the same Node.js.
    const cmd = [
      ...(setpriv && hostUser
        ? [setpriv, `--reuid=${hostUser.uid}`, `--regid=${hostUser.gid}`, '--clear-groups', '--']
        : []),
      bwrap,
      ...baseArgs(),
      '--tmpfs',
      '/tmp',
      '--ro-bind',
      nodePath,
      SANDBOX_PATHS.node,
      '--clearenv',
      SANDBOX_PATHS.node,
      '-e',
      'process.exit(require("fs").existsSync("/root")||process.getuid()!==1000?3:0)',
    ];
    try {
      await execFileAsync(cmd[0] as string, cmd.slice(1), {
        timeout: 15_000,
        env: { PATH: '/usr/bin:/bin' },
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string; code?: number };
      return {
        ok: false,
        reason: `bubblewrap cannot start a sandbox here: ${firstError(e.stderr || e.message)}`,
        version,
      };
    }
    return {
      ok: true,
      version,
      resources: rc.kind,
      ...(rc.note && rc.kind === 'rlimit' ? { note: rc.note } : {}),
    };
  }

  async function open(spec: SandboxOpenSpec): Promise<SandboxSession> {
    const c = await cachedCheck();
    if (!c.ok) throw Object.assign(new Error(c.reason), { code: 'SandboxUnavailable' });
    const limits = { ...options.limits, ...spec.limits };
    const name = (spec.name ?? randomBytes(6).toString('hex'))
      .replace(/[^A-Za-z0-9_-]/g, '')
      .slice(0, 40);
    const runDir = mkdtempSync(join(options.runRoot ?? tmpdir(), 'baton-sbx-'));
    const etcDir = join(runDir, 'etc');
    const token = `sk-baton-sandbox-${randomBytes(24).toString('base64url')}`;
    let group: ResourceGroup | undefined;
    let proxy: Awaited<ReturnType<typeof startProviderProxy>> | undefined;
    let responseListener: ((r: ProviderResponse) => void) | undefined;
    const earlyResponses: ProviderResponse[] = [];
    let requestHook: (() => Promise<void>) | undefined;
    try {
      mkdirSync(etcDir);
      etcFiles(etcDir);
      if (hostUser) {
        for (const p of [runDir, etcDir]) chownSync(p, hostUser.uid, hostUser.gid);
        chownSync(spec.workspace, hostUser.uid, hostUser.gid);
        chownTree(spec.home, hostUser.uid, hostUser.gid);
      }
      proxy = await startProviderProxy({
        socketPath: join(runDir, 'provider.sock'),
        upstream: spec.baseURL,
        apiKey: spec.apiKey,
        token,
        owner: hostUser,
        mcp: spec.mcp,
        onResponse: (r) => {
          if (responseListener) responseListener(r);
          else earlyResponses.push(r);
        },
        beforeMessages: () => (requestHook ? requestHook() : Promise.resolve()),
      });
      group = resources().create(`${name}-${randomBytes(3).toString('hex')}`, limits);
    } catch (err) {
      await proxy?.close();
      group?.remove();
      rmSync(runDir, { recursive: true, force: true });
      throw err;
    }
    const g = group;
    const px = proxy;
    const unenforced: LimitName[] = [...g.unenforced];
    let hit: LimitHit | undefined;
    let child: ChildProcess | undefined;
    let stderrTail = '';
    let closed = false;
    const timers: NodeJS.Timeout[] = [];

    const trip = (h: LimitHit) => {
      if (hit) return;
      hit = h;
      g.killAll();
      try {
        child?.kill('SIGKILL');
      } catch {}
    };

    const startWatch = () => {
      timers.push(
        setInterval(() => {
          const h = g.check();
          if (h) trip(h);
        }, pollMs),
      );
      if (limits.diskBytes !== undefined) {
        const max = limits.diskBytes;
        let busy = false;
        let next = 0;
        timers.push(
          setInterval(() => {
            if (busy || Date.now() < next) return;
            busy = true;
            const t0 = Date.now();
            diskUsage([spec.workspace, spec.home], max)
              .then((u) => {
                if (u.over)
                  trip({
                    limit: 'disk',
                    message: `workspace disk limit of ${Math.round(max / 2 ** 20)} MiB reached`,
                  });
                // A big tree is walked less often: at most a tenth of the time goes to walking it.
                next = Date.now() + Math.max(2000, 10 * (Date.now() - t0));
              })
              .finally(() => {
                busy = false;
              });
          }, 1000),
        );
      }
      for (const t of timers) t.unref();
    };

    const info: SandboxInfo = {
      kind: 'bubblewrap',
      version: c.version ?? '',
      resources: resources().kind,
      limits,
      enforced: [...g.enforced, ...(limits.diskBytes !== undefined ? (['disk'] as const) : [])],
      unenforced,
      hostUid: hostUser?.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1),
    };

    return {
      workspace: SANDBOX_PATHS.workspace,
      home: SANDBOX_PATHS.home,
      baseURL: `http://127.0.0.1:${INSIDE_PORT}`,
      token,
      info,
      spawn(o: SpawnOptionsLike) {
        if (closed) throw new Error('the sandbox session is closed');
        // Host paths the sandbox gets (bwrap resolves each one as the sandbox's host user).
        const binds: Array<[string, string, boolean]> = [
          [o.command, SANDBOX_PATHS.claude, true],
          [nodePath, SANDBOX_PATHS.node, true],
          [spec.workspace, SANDBOX_PATHS.workspace, false],
          [spec.home, SANDBOX_PATHS.home, false],
          [runDir, SANDBOX_PATHS.run, true],
        ];
        const args = baseArgs();
        for (const f of ['passwd', 'group', 'hosts', 'hostname', 'resolv.conf'])
          args.push('--ro-bind', join(etcDir, f), `/etc/${f}`);
        if (limits.diskBytes !== undefined) args.push('--size', String(limits.diskBytes));
        args.push('--tmpfs', '/tmp');
        for (const [src, dest, ro] of binds) args.push(ro ? '--ro-bind' : '--bind', src, dest);
        args.push('--chdir', SANDBOX_PATHS.workspace, '--clearenv');
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(o.env)) {
          if (v !== undefined && !HOST_ONLY_ENV.has(k)) env[k] = v;
        }
        Object.assign(env, {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: SANDBOX_PATHS.home,
          USER: 'baton',
          LOGNAME: 'baton',
          SHELL: '/bin/bash',
          TMPDIR: '/tmp',
          LANG: env.LANG ?? 'C.UTF-8',
          ANTHROPIC_BASE_URL: `http://127.0.0.1:${INSIDE_PORT}`,
          ANTHROPIC_API_KEY: token,
          SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
          GIT_CONFIG_NOSYSTEM: '1',
        });
        for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
        // Options (host paths, environment) go through a pipe, so the sandbox cannot read them
        // in /proc/1/cmdline; the command (inside paths only) must be on bwrap's command line.
        const command = [
          SANDBOX_PATHS.node,
          '-e',
          LAUNCHER,
          `${SANDBOX_PATHS.run}/provider.sock`,
          String(INSIDE_PORT),
          SANDBOX_PATHS.claude,
          ...o.args,
        ];
        // The first process joins its control group as itself, then becomes the sandbox.
        const chain = [
          ...g.rlimitArgs,
          ...(setpriv && hostUser
            ? [
                setpriv,
                `--reuid=${hostUser.uid}`,
                `--regid=${hostUser.gid}`,
                '--clear-groups',
                '--',
              ]
            : []),
          bwrap as string,
          '--args',
          '3',
          '--',
          ...command,
        ];
        const script = `${g.enterScript ? `${g.enterScript} && ` : ''}exec "$@"`;
        const p: ChildProcess = spawn('/bin/sh', ['-c', script, 'baton-sandbox', ...chain], {
          // Nothing of the worker's environment: bwrap itself (pid 1 inside) keeps this one.
          env: { PATH: '/usr/bin:/bin' },
          cwd: '/',
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          signal: o.signal,
        });
        child = p;
        const argsPipe = p.stdio[3] as NodeJS.WritableStream | null;
        argsPipe?.on('error', () => {});
        argsPipe?.end(Buffer.from(`${args.join('\0')}\0`));
        p.stderr?.on('data', (d: Buffer) => {
          stderrTail = (stderrTail + d.toString('utf8')).slice(-4000);
          if (process.env.BATON_SANDBOX_DEBUG) process.stderr.write(d);
        });
        p.once('exit', () => {
          const h = g.check();
          if (h && !hit) hit = h;
        });
        startWatch();
        return p as unknown as ReturnType<SandboxSession['spawn']>;
      },
      limitHit: () => hit ?? g.check(),
      stderr: () => stderrTail,
      usage: () => g.usage(),
      proxyStats: () => px.stats(),
      onProviderResponse: (listener) => {
        responseListener = listener;
        if (listener) for (const r of earlyResponses.splice(0)) listener(r);
      },
      beforeProviderRequest: (hook) => {
        requestHook = hook;
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const t of timers) clearInterval(t);
        if (child && child.exitCode === null && child.signalCode === null) {
          try {
            child.kill('SIGKILL');
          } catch {}
        }
        g.killAll();
        await px.close();
        // Give the kernel a moment to empty the group before it is removed.
        for (let i = 0; i < 20; i++) {
          g.remove();
          if (!child || child.exitCode !== null || child.signalCode !== null) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        g.remove();
        rmSync(runDir, { recursive: true, force: true });
      },
    };
  }

  /** Whether the sandbox's host user can reach (search) `dir`: bwrap binds it as that user. */
  async function canReach(dir: string): Promise<{ ok: boolean; reason?: string }> {
    if (!hostUser || !setpriv) return { ok: true };
    try {
      await execFileAsync(
        setpriv,
        [
          `--reuid=${hostUser.uid}`,
          `--regid=${hostUser.gid}`,
          '--clear-groups',
          '--',
          '/bin/sh',
          '-c',
          'cd -- "$1"',
          'sh',
          dir,
        ],
        { timeout: 5000, env: { PATH: '/usr/bin:/bin' } },
      );
      return { ok: true };
    } catch {
      return {
        ok: false,
        reason: `the sandbox runs as uid ${hostUser.uid}, which cannot reach ${dir}: make every folder above it searchable by others (chmod o+x) or choose another folder`,
      };
    }
  }

  return {
    kind: 'bubblewrap',
    hostUser,
    canReach,
    check: cachedCheck,
    recheck: () => {
      checkedAt = Date.now();
      checked = check();
      return checked;
    },
    open,
  };
}
