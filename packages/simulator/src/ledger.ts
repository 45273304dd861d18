/**
 * The response ledger: one entry per admitted `/v1/messages` response, with what the server
 * billed and how far the response got — so a test can check a client's usage records response by
 * response (by message id), not only in total. Off unless `ledger: true`; bounded (the oldest
 * entries go first past `max`).
 *
 * Outcomes:
 * - `complete`      every byte was written and the response ended normally;
 * - `fault`         an injected fault cut it (reset-mid, stall, stream-error);
 * - `client_closed` the client closed the connection before the end (an abort, a killed process);
 * - `pending`       still being written.
 *
 * `started` says whether the client was sent the response's usage at all (the stream's
 * `message_start`, or a whole JSON body): a response that never started cannot be recorded by
 * any client. `outputDelivered` counts the output tokens of the content deltas written before the
 * end (all of them when complete).
 */
export type LedgerOutcome = 'pending' | 'complete' | 'fault' | 'client_closed';

export interface LedgerEntry {
  messageId: string;
  requestId: string;
  apiKey: string;
  model: string;
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  started: boolean;
  outputDelivered: number;
  outcome: LedgerOutcome;
  admittedAt: number;
  endedAt: number | null;
}

export class ResponseLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  constructor(private readonly max = 200_000) {}

  open(e: Omit<LedgerEntry, 'started' | 'outputDelivered' | 'outcome' | 'endedAt'>): LedgerEntry {
    const entry: LedgerEntry = {
      ...e,
      started: false,
      outputDelivered: 0,
      outcome: 'pending',
      endedAt: null,
    };
    this.entries.set(e.messageId, entry);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return entry;
  }

  list(): LedgerEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  reset(): void {
    this.entries.clear();
  }
}

/** Ends an entry once (the first outcome wins). */
export function endEntry(e: LedgerEntry | undefined, outcome: Exclude<LedgerOutcome, 'pending'>) {
  if (e?.outcome !== 'pending') return;
  e.outcome = outcome;
  e.endedAt = Date.now();
}
