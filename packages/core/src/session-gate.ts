import { AbortError, SpendLimitError } from './errors.js';
import { parseUsd, picoToUsd } from './pricing.js';

/** Admission of Claude Code sessions: a concurrency limit and a spend budget. */
export interface SessionGate {
  /** Waits for a free slot and reserves `reserveUsd` of the budget (SpendLimit if it cannot fit). */
  admit(request: {
    reserveUsd?: string | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<Admission>;
  /** Ends the session: frees the slot and charges its actual cost instead of the reservation. */
  settle(admission: Admission, costUsd: string): void;
  readonly active: number;
  readonly waiting: number;
  /** Budget left (decimal USD), undefined when unlimited. */
  readonly remainingUsd: string | undefined;
}

export interface Admission {
  readonly reservedUsd: string;
  readonly waitedMs: number;
}

export interface SessionGateOptions {
  /** Sessions running at once. Default 4. */
  maxConcurrent?: number;
  /** Total spend allowed through this gate (decimal USD). Default unlimited. */
  budgetUsd?: string | number;
  /** Reserved per session when the session gives no budget of its own. Default "0". */
  defaultReserveUsd?: string;
}

export function createSessionGate(options: SessionGateOptions = {}): SessionGate {
  const max = options.maxConcurrent ?? 4;
  if (!(Number.isInteger(max) && max >= 1))
    throw new RangeError('maxConcurrent must be an integer ≥ 1');
  let remaining =
    options.budgetUsd === undefined
      ? undefined
      : parseUsd(
          typeof options.budgetUsd === 'number' ? options.budgetUsd.toFixed(6) : options.budgetUsd,
        );
  let active = 0;
  const queue: Array<() => void> = [];
  const settled = new WeakSet<Admission>();
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    get remainingUsd() {
      return remaining === undefined ? undefined : picoToUsd(remaining);
    },
    async admit({ reserveUsd, signal }) {
      const reserve = parseUsd(reserveUsd ?? options.defaultReserveUsd ?? '0');
      if (remaining !== undefined && reserve > remaining)
        throw new SpendLimitError(
          `session budget ${picoToUsd(reserve)} USD exceeds the ${picoToUsd(remaining)} USD left`,
        );
      const t0 = Date.now();
      if (active >= max) {
        await new Promise<void>((resolve, reject) => {
          if (signal?.aborted) return reject(new AbortError(signal.reason));
          const go = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          const onAbort = () => {
            const i = queue.indexOf(go);
            if (i >= 0) queue.splice(i, 1);
            reject(new AbortError(signal?.reason));
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          queue.push(go);
        });
      }
      if (remaining !== undefined && reserve > remaining) {
        queue.shift()?.();
        throw new SpendLimitError(`session budget exceeds the ${picoToUsd(remaining)} USD left`);
      }
      active++;
      if (remaining !== undefined) remaining -= reserve;
      return { reservedUsd: picoToUsd(reserve), waitedMs: Date.now() - t0 };
    },
    settle(adm, costUsd) {
      if (settled.has(adm)) return;
      settled.add(adm);
      active--;
      if (remaining !== undefined) remaining += parseUsd(adm.reservedUsd) - parseUsd(costUsd);
      queue.shift()?.();
    },
  };
}
