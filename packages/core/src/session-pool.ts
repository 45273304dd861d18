import type { ApiBackend, Run, RunInput } from './api-backend.js';
import type { ClaudeCodeBackend, ClaudeCodeRunInput } from './claude-code-backend.js';
import { AbortError } from './errors.js';
import type { BatonEvent, RunResult } from './events.js';
import { type NewSessionOptions, newSessionState, type SessionState } from './session.js';
import type { SessionStore } from './session-store.js';

export interface SessionPoolOptions {
  api?: ApiBackend;
  claudeCode?: ClaudeCodeBackend;
  /**
   * Default: in memory, private to the pool (use a shared store so conversations move between
   * workers). A given store is saved to after every run; the private one keeps an evicted
   * session's state as it is (no copy) — nothing but the pool can read it.
   */
  store?: SessionStore;
  /** Sessions leased at once. Default 16. */
  maxSessions?: number;
  /** Idle sessions kept for reuse. Default 64 (least recently used evicted first). */
  maxIdle?: number;
  /** An idle session is evicted after this long. Default 300 000 ms. */
  idleTimeoutMs?: number;
  /** Start the Claude Code process of an idle claude-code session ahead of its next run. Default false. */
  prewarmClaudeCode?: boolean;
}

export interface Lease {
  readonly conversationId: string;
  readonly state: SessionState;
  /** True when the session came from the idle pool (no load, possibly a warm process). */
  readonly reused: boolean;
  /** Where the state came from: the idle pool, the store (resume) or new. */
  readonly origin: 'idle' | 'store' | 'new';
  /** Runs one turn on the session's backend; the state is saved to the store afterwards. */
  run(input: RunInput | ClaudeCodeRunInput): Run;
  /** Returns the session to the idle pool. */
  release(): Promise<void>;
}

export interface PoolStats {
  active: number;
  idle: number;
  waiting: number;
  hits: number;
  misses: number;
  resumed: number;
  evictions: number;
}

export interface SessionPool {
  /** Leases the conversation's session: from the idle pool, the store, or new (with `init`). */
  acquire(
    conversationId: string,
    init: Omit<NewSessionOptions, 'conversationId'>,
    options?: { signal?: AbortSignal },
  ): Promise<Lease>;
  stats(): PoolStats;
  /** Drops the idle sessions (their state stays in the store). */
  close(): Promise<void>;
}

interface Idle {
  state: SessionState;
  /** When the session became idle (performance.now()). */
  since: number;
  lastClaudeInput: Omit<ClaudeCodeRunInput, 'prompt' | 'signal' | 'onEvent'> | undefined;
}

/**
 * The pool's own store when none is given: evicted sessions' states, handed over rather than
 * copied (the pool owns them, as it owns its idle sessions) and handed back on the next acquire.
 */
function poolMemory(): SessionStore {
  const states = new Map<string, SessionState>();
  return {
    async load(id) {
      const s = states.get(id);
      states.delete(id);
      return s;
    },
    async save(state) {
      states.set(state.conversationId, state);
    },
    async delete(id) {
      states.delete(id);
    },
  };
}

/** A pool of sessions with a concurrency limit, idle reuse and eviction, and persisted state. */
export function createSessionPool(options: SessionPoolOptions): SessionPool {
  const privateStore = options.store === undefined;
  const store = options.store ?? poolMemory();
  const maxSessions = options.maxSessions ?? 16;
  const maxIdle = options.maxIdle ?? 64;
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const idle = new Map<string, Idle>(); // insertion order = LRU order
  const leased = new Set<string>();
  const waiters: Array<{ id: string; go: () => void }> = [];
  const counters = { hits: 0, misses: 0, resumed: 0, evictions: 0 };

  const evict = (id: string): void => {
    const e = idle.get(id);
    if (!e) return;
    idle.delete(id);
    counters.evictions++;
    if (privateStore) store.save(e.state).catch(() => {});
    options.claudeCode?.release(id);
  };

  // One timer for the whole idle pool, due when its oldest session expires (every session idles
  // for the same time, and the map is in the order they became idle), instead of a timer per
  // release.
  let sweep: NodeJS.Timeout | undefined;
  const armSweep = (): void => {
    if (sweep || idle.size === 0) return;
    const oldest = idle.values().next().value as Idle;
    sweep = setTimeout(onSweep, Math.max(0, oldest.since + idleTimeoutMs - performance.now()));
    sweep.unref?.();
  };
  const onSweep = (): void => {
    sweep = undefined;
    const now = performance.now();
    for (const [id, e] of idle) {
      if (now - e.since < idleTimeoutMs) break;
      evict(id);
    }
    armSweep();
  };

  const canStart = (id: string) => leased.size < maxSessions && !leased.has(id);
  const wake = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i] as { id: string; go: () => void };
      if (canStart(w.id)) {
        waiters.splice(i, 1);
        w.go();
        return;
      }
    }
  };

  async function acquire(
    conversationId: string,
    init: Omit<NewSessionOptions, 'conversationId'>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Lease> {
    const signal = opts.signal;
    if (signal?.aborted) throw new AbortError(signal.reason);
    if (!canStart(conversationId)) {
      await new Promise<void>((resolve, reject) => {
        const w = {
          id: conversationId,
          go: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new AbortError(signal?.reason));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(w);
      });
    }
    leased.add(conversationId);
    let state: SessionState | undefined;
    let origin: Lease['origin'];
    let lastClaudeInput: Idle['lastClaudeInput'];
    const hit = idle.get(conversationId);
    try {
      if (hit) {
        idle.delete(conversationId);
        state = hit.state;
        lastClaudeInput = hit.lastClaudeInput;
        origin = 'idle';
        counters.hits++;
      } else {
        counters.misses++;
        state = await store.load(conversationId);
        if (state) {
          origin = 'store';
          counters.resumed++;
        } else {
          state = newSessionState({ conversationId, ...init });
          origin = 'new';
        }
      }
    } catch (e) {
      leased.delete(conversationId);
      wake();
      throw e;
    }
    const s = state;
    let released = false;
    return {
      conversationId,
      state: s,
      reused: origin === 'idle',
      origin,
      run(input) {
        if (released) throw new Error(`session ${conversationId} was released`);
        let inner: Run;
        if (s.backend === 'claude-code') {
          if (!options.claudeCode) throw new Error('the pool has no claude-code backend');
          const { prompt: _p, signal: _s, onEvent: _o, ...rest } = input as ClaudeCodeRunInput;
          lastClaudeInput = rest;
          inner = options.claudeCode.run(s, input as ClaudeCodeRunInput);
        } else {
          if (!options.api) throw new Error('the pool has no api backend');
          inner = options.api.run(s, input as RunInput);
        }
        const result: Promise<RunResult> = privateStore
          ? inner.result
          : inner.result.then(
              async (r) => {
                await store.save(s);
                return r;
              },
              async (e: unknown) => {
                await store.save(s).catch(() => {});
                throw e;
              },
            );
        result.catch(() => {});
        return {
          result,
          [Symbol.asyncIterator]: (): AsyncIterator<BatonEvent> => inner[Symbol.asyncIterator](),
        };
      },
      async release() {
        if (released) return;
        released = true;
        leased.delete(conversationId);
        idle.set(conversationId, { state: s, since: performance.now(), lastClaudeInput });
        while (idle.size > maxIdle) {
          const oldest = idle.keys().next().value as string;
          evict(oldest);
        }
        armSweep();
        if (options.prewarmClaudeCode && s.backend === 'claude-code' && options.claudeCode) {
          await options.claudeCode.prewarm(s, lastClaudeInput).catch(() => {});
        }
        wake();
      },
    };
  }

  return {
    acquire,
    stats: () => ({
      active: leased.size,
      idle: idle.size,
      waiting: waiters.length,
      ...counters,
    }),
    async close() {
      if (sweep) clearTimeout(sweep);
      sweep = undefined;
      for (const id of [...idle.keys()]) evict(id);
      for (const w of waiters.splice(0)) w.go();
    },
  };
}
