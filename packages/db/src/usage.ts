import type pg from 'pg';

/** One model response's usage, as the worker records it. */
export interface UsageRow {
  providerRequestId: string;
  messageId: string;
  /** null: usage outside a task (e.g. a replayed transcript). */
  taskId: string | null;
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
  /** The response was cut off before its final usage: `outputTokens` is the client's estimate. */
  outputEstimated?: boolean;
  at?: Date;
}

/** Columns written, with the element type of the array each arrives in. */
const COLUMNS = [
  ['provider_request_id', 'text'],
  ['message_id', 'text'],
  ['task_id', 'uuid'],
  ['team_id', 'uuid'],
  ['user_id', 'text'],
  ['session_id', 'uuid'],
  ['provider', 'text'],
  ['backend', 'backend'],
  ['model', 'text'],
  ['input_tokens', 'int4'],
  ['output_tokens', 'int4'],
  ['cache_write_5m_tokens', 'int4'],
  ['cache_write_1h_tokens', 'int4'],
  ['cache_read_tokens', 'int4'],
  ['cost_usd', 'numeric'],
  ['latency_ms', 'int4'],
  ['ttft_ms', 'int4'],
  ['status', 'usage_status'],
  ['error_type', 'text'],
  ['created_at', 'timestamptz'],
  ['output_estimated', 'bool'],
] as const;

/**
 * One statement for any batch size: one array parameter per column, so the
 * text and the parameter count do not grow with the batch (a multi-row VALUES
 * list has 20 parameters per row to parse and bind, and a new statement text
 * per size). Rows go in (provider_request_id, message_id) order, so two
 * writers flushing overlapping batches (a retried flush) take the unique
 * index's keys in the same order and cannot deadlock. `first` is the number of
 * its first parameter, for a caller that puts the insert in a larger statement.
 */
function insertSql(first: number): string {
  return `insert into usage_events (${COLUMNS.map(([c]) => c).join(', ')})
  select * from unnest(${COLUMNS.map(([, t], i) => `$${first + i}::${t}[]`).join(', ')})
    as u(${COLUMNS.map(([c]) => c).join(', ')})
  order by provider_request_id collate "C", message_id collate "C"
  on conflict (provider_request_id, message_id) do nothing`;
}
const INSERT_SQL = insertSql(1);
/** Built once per parameter offset (a caller uses one or two). */
const sqlFrom = new Map<number, string>([[1, INSERT_SQL]]);

/**
 * The insert of `insertUsage` with its parameters numbered from `first`, and
 * the values of those parameters (one array per column): for a statement that
 * writes usage together with other rows, e.g. as a data-modifying `WITH`
 * (add `returning 1` to count the new rows).
 */
export function usageInsert(records: UsageRow[], first = 1): { text: string; values: unknown[][] } {
  let text = sqlFrom.get(first);
  if (!text) {
    text = insertSql(first);
    sqlFrom.set(first, text);
  }
  return { text, values: usageColumns(records) };
}

function usageColumns(records: UsageRow[]): unknown[][] {
  const n = records.length;
  const cols: unknown[][] = COLUMNS.map(() => new Array(n));
  const now = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    cols[0]![i] = r.providerRequestId;
    cols[1]![i] = r.messageId;
    cols[2]![i] = r.taskId ?? null;
    cols[3]![i] = r.teamId;
    cols[4]![i] = r.userId ?? null;
    cols[5]![i] = r.sessionId ?? null;
    cols[6]![i] = r.provider ?? 'anthropic';
    cols[7]![i] = r.backend;
    cols[8]![i] = r.model;
    cols[9]![i] = r.inputTokens;
    cols[10]![i] = r.outputTokens;
    cols[11]![i] = r.cacheWrite5mTokens;
    cols[12]![i] = r.cacheWrite1hTokens;
    cols[13]![i] = r.cacheReadTokens;
    cols[14]![i] = r.costUsd;
    cols[15]![i] = r.latencyMs ?? null;
    cols[16]![i] = r.ttftMs ?? null;
    cols[17]![i] = r.status;
    cols[18]![i] = r.errorType ?? null;
    cols[19]![i] = r.at ? r.at.toISOString() : now;
    cols[20]![i] = r.outputEstimated ?? false;
  }
  return cols;
}

/**
 * Inserts usage idempotently: `(provider_request_id, message_id)` is unique,
 * so recording the same response twice — a retried flush, a re-run that
 * replays a transcript, the same response twice in one batch — inserts it
 * once. Returns how many rows were new. Takes a pool or a client inside a
 * transaction (one statement either way). The references (team, task, user,
 * session) are checked once per batch by a statement trigger (migration
 * `usage_refs_by_statement`): an unknown one fails the whole batch with 23503.
 */
export async function insertUsage(
  pool: Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>,
  records: UsageRow[],
): Promise<number> {
  if (records.length === 0) return 0;
  const res = await pool.query(INSERT_SQL, usageColumns(records));
  return res.rowCount ?? 0;
}
