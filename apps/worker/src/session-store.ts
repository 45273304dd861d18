import type { SessionState, SessionStore } from '@baton/core';
import type pg from 'pg';
import type { SessionRow } from './lifecycle';

/**
 * @baton/core's SessionStore on the `claude_sessions` table, so a
 * conversation started on one worker resumes on another. The conversation id
 * is the task id; the row's team is the task's.
 *
 * The worker's hot path costs no statement of its own here: `prime` hands
 * `load` the conversation that the task's start statement already read, and a
 * `save` waits (at most `deferMs`) for `take`, which gives it to the statement
 * that settles the task; one not taken by then is written on its own.
 *
 * Either way the row's state is the task's as it stands (`baton_session_state`,
 * packages/db/sql/task_lifecycle.sql): a save during a run leaves it active, one
 * after the task ended leaves it idle, closed or failed.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WorkerSessionStore extends SessionStore {
  /** The conversation's saved state as already read (null: none); the next `load` returns it. */
  prime(conversationId: string, state: SessionState | null): void;
  /** Forgets a `prime` that no `load` used. */
  unprime(conversationId: string): void;
  /** Removes a saved, not yet written conversation and returns it as a row for `baton_task_settle`. */
  take(conversationId: string): SessionRow | undefined;
  /** Writes every conversation still waiting. */
  flush(): Promise<void>;
}

function toRow(state: SessionState): SessionRow {
  const t = state.usage;
  return {
    backend: state.backend,
    model: state.config.model,
    config: state.config,
    messageCount: state.messageCount,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheWriteTokens: t.cacheWrite5mTokens + t.cacheWrite1hTokens,
    cacheReadTokens: t.cacheReadTokens,
    summary: state.summary ?? null,
    // As of now: the live state keeps changing if the conversation goes on.
    stateJson: JSON.stringify(state),
  };
}

export function postgresSessionStore(
  pool: pg.Pool,
  options: { deferMs?: number; onError?: (err: Error) => void } = {},
): WorkerSessionStore {
  const deferMs = options.deferMs ?? 0;
  const primed = new Map<string, SessionState | null>();
  const waiting = new Map<string, { row: SessionRow; timer: NodeJS.Timeout }>();
  let writes: Promise<unknown> = Promise.resolve();

  const write = async (conversationId: string, s: SessionRow) => {
    await pool.query(
      `insert into claude_sessions (team_id, task_id, backend, provider_session_id, state, model, config, message_count,
                                    input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, context_summary,
                                    state_blob, updated_at, last_used_at)
       select t.team_id, t.id, $2, $1, baton_session_state(t.status), $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11::jsonb, now(), now()
         from tasks t where t.id = ($1::text)::uuid
       on conflict (backend, provider_session_id) do update set
         state = excluded.state, model = excluded.model, config = excluded.config, message_count = excluded.message_count,
         input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
         cache_write_tokens = excluded.cache_write_tokens, cache_read_tokens = excluded.cache_read_tokens,
         context_summary = excluded.context_summary, state_blob = excluded.state_blob,
         updated_at = now(), last_used_at = now()`,
      [
        conversationId,
        s.backend,
        s.model,
        JSON.stringify(s.config),
        s.messageCount,
        s.inputTokens,
        s.outputTokens,
        s.cacheWriteTokens,
        s.cacheReadTokens,
        s.summary,
        s.stateJson,
      ],
    );
  };
  const writeWaiting = (conversationId: string) => {
    const w = waiting.get(conversationId);
    if (!w) return writes;
    waiting.delete(conversationId);
    clearTimeout(w.timer);
    writes = writes
      .then(() => write(conversationId, w.row))
      .catch((err: Error) => options.onError?.(err));
    return writes;
  };

  return {
    prime(conversationId, state) {
      primed.set(conversationId, state);
    },
    unprime(conversationId) {
      primed.delete(conversationId);
    },
    take(conversationId) {
      const w = waiting.get(conversationId);
      if (!w) return undefined;
      waiting.delete(conversationId);
      clearTimeout(w.timer);
      return w.row;
    },
    async flush() {
      await Promise.all([...waiting.keys()].map((id) => writeWaiting(id)));
      await writes;
    },
    async load(conversationId) {
      if (primed.has(conversationId)) {
        const state = primed.get(conversationId);
        primed.delete(conversationId);
        return state ?? undefined;
      }
      const w = waiting.get(conversationId);
      if (w) return JSON.parse(w.row.stateJson) as SessionState;
      const { rows } = await pool.query<{ state_blob: SessionState | null }>(
        // `backend in (…)` lets the unique (backend, provider_session_id) index serve the lookup.
        `select state_blob from claude_sessions
          where backend in ('api', 'claude-code') and provider_session_id = $1 and state_blob is not null
          order by updated_at desc limit 1`,
        [conversationId],
      );
      return rows[0]?.state_blob ?? undefined;
    },
    async save(state) {
      // Conversations are tasks here: anything else has no row to belong to.
      if (!UUID.test(state.conversationId)) return;
      const row = toRow(state);
      if (deferMs <= 0) {
        await write(state.conversationId, row);
        return;
      }
      const previous = waiting.get(state.conversationId);
      if (previous) clearTimeout(previous.timer);
      const timer = setTimeout(() => void writeWaiting(state.conversationId), deferMs);
      timer.unref();
      waiting.set(state.conversationId, { row, timer });
    },
    async delete(conversationId) {
      const w = waiting.get(conversationId);
      if (w) {
        clearTimeout(w.timer);
        waiting.delete(conversationId);
      }
      await pool.query(
        `delete from claude_sessions where backend in ('api', 'claude-code') and provider_session_id = $1`,
        [conversationId],
      );
    },
  };
}
