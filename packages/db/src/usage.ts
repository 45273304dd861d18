import type pg from 'pg';

/** One model response's usage, as the worker records it. */
export interface UsageRecord {
  providerRequestId: string;
  messageId: string;
  taskId: string;
  teamId: string;
  userId?: string | null;
  sessionId?: string | null;
  provider?: string;
  backend: 'api' | 'claude-code';
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** Exact decimal string, e.g. "0.0012345". */
  costUsd: string;
  latencyMs?: number | null;
  ttftMs?: number | null;
  status: 'ok' | 'error';
  errorType?: string | null;
  at?: Date;
}

const COLUMNS = [
  'provider_request_id',
  'message_id',
  'task_id',
  'team_id',
  'user_id',
  'session_id',
  'provider',
  'backend',
  'model',
  'input_tokens',
  'output_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'cache_read_tokens',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'status',
  'error_type',
  'created_at',
] as const;

/**
 * Inserts usage idempotently: `(provider_request_id, message_id)` is unique,
 * so recording the same response twice — a retried flush, a re-run that
 * replays a transcript — inserts it once. Returns how many rows were new.
 */
export async function insertUsage(
  pool: pg.Pool | pg.PoolClient,
  records: UsageRecord[],
): Promise<number> {
  if (records.length === 0) return 0;
  const values: unknown[] = [];
  const tuples = records.map((r, i) => {
    values.push(
      r.providerRequestId,
      r.messageId,
      r.taskId,
      r.teamId,
      r.userId ?? null,
      r.sessionId ?? null,
      r.provider ?? 'anthropic',
      r.backend,
      r.model,
      r.inputTokens,
      r.outputTokens,
      r.cacheWrite5mTokens,
      r.cacheWrite1hTokens,
      r.cacheReadTokens,
      r.costUsd,
      r.latencyMs ?? null,
      r.ttftMs ?? null,
      r.status,
      r.errorType ?? null,
      r.at ?? new Date(),
    );
    const b = i * COLUMNS.length;
    return `(${COLUMNS.map((_, j) => `$${b + j + 1}`).join(', ')})`;
  });
  const res = await pool.query(
    `insert into usage_events (${COLUMNS.join(', ')}) values ${tuples.join(', ')}
     on conflict (provider_request_id, message_id) do nothing`,
    values,
  );
  return res.rowCount ?? 0;
}
