import type { SessionState, SessionStore } from '@baton/core';
import type pg from 'pg';

/**
 * @baton/core's SessionStore on the `claude_sessions` table, so a
 * conversation started on one worker resumes on another. The conversation id
 * is the task id; the row's team is the task's.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function postgresSessionStore(pool: pg.Pool): SessionStore {
  return {
    async load(conversationId) {
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
      const t = state.usage;
      await pool.query(
        `insert into claude_sessions (team_id, task_id, backend, provider_session_id, state, model, config, message_count,
                                      input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, context_summary,
                                      state_blob, updated_at, last_used_at)
         select t.team_id, t.id, $2, $1, 'idle', $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11::jsonb, now(), now()
           from tasks t where t.id = ($1::text)::uuid
         on conflict (backend, provider_session_id) do update set
           state = 'idle', model = excluded.model, config = excluded.config, message_count = excluded.message_count,
           input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
           cache_write_tokens = excluded.cache_write_tokens, cache_read_tokens = excluded.cache_read_tokens,
           context_summary = excluded.context_summary, state_blob = excluded.state_blob,
           updated_at = now(), last_used_at = now()`,
        [
          state.conversationId,
          state.backend,
          state.config.model,
          JSON.stringify(state.config),
          state.messageCount,
          t.inputTokens,
          t.outputTokens,
          t.cacheWrite5mTokens + t.cacheWrite1hTokens,
          t.cacheReadTokens,
          state.summary ?? null,
          JSON.stringify(state),
        ],
      );
    },
    async delete(conversationId) {
      await pool.query(
        `delete from claude_sessions where backend in ('api', 'claude-code') and provider_session_id = $1`,
        [conversationId],
      );
    },
  };
}
