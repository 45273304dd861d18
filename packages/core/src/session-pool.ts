import type { ApiBackend, Run, RunInput } from './api-backend.js';
import type { ClaudeCodeBackend, ClaudeCodeRunInput } from './claude-code-backend.js';
import { AbortError } from './errors.js';
import type { BatonEvent, RunResult } from './events.js';
import { type NewSessionOptions, newSessionState, type SessionState } from './session.js';
import { memorySessionStore, type SessionStore } from './session-store.js';

export interface SessionPoolOptions {
  api?: ApiBackend;
  claudeCode?: ClaudeCodeBackend;
  /** Default: in memory (use a shared store so conversations move between workers). */
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
  timer: NodeJS.Timeout;
  lastClaudeInput: Omit<ClaudeCodeRunInput, 'prompt' | 'signal' | 'onEvent'> | undefined;
}

/** A pool of sessions with a concurrency limit, idle reuse and eviction, and persisted state. */
export function createSessionPool(options: SessionPoolOptions): SessionPool {
  const store = options.store ?? memorySessionStore();
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
    clearTimeout(e.timer);
    idle.delete(id);
    counters.evictions++;
    options.claudeCode?.release(id);
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
        clearTimeout(hit.timer);
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
        const result: Promise<RunResult> = inner.result.then(
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
        const timer = setTimeout(() => evict(conversationId), idleTimeoutMs);
        timer.unref?.();
        idle.set(conversationId, { state: s, timer, lastClaudeInput });
        while (idle.size > maxIdle) {
          const oldest = idle.keys().next().value as string;
          evict(oldest);
        }
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
      for (const id of [...idle.keys()]) evict(id);
      for (const w of waiters.splice(0)) w.go();
    },
  };
}
