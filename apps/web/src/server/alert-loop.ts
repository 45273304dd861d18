import 'server-only';
import { type AlertLoop, startAlertLoop } from '@baton/api';
import { env } from '@/env';
import { getDb } from './db';

const globalForAlerts = globalThis as unknown as { batonAlertLoop?: AlertLoop };

/**
 * Evaluates every team's alert rules in the background, every
 * BATON_ALERT_INTERVAL_SECONDS (default 30; 0 turns it off), from the
 * console's server process — whether or not anyone has a page open. Several
 * console processes may run it; they take turns (an advisory lock per sweep).
 */
export function ensureAlertLoop(): AlertLoop | null {
  const seconds = env.BATON_ALERT_INTERVAL_SECONDS;
  if (seconds <= 0) return null;
  globalForAlerts.batonAlertLoop ??= startAlertLoop(getDb().db, {
    intervalMs: seconds * 1000,
    onError: (err) =>
      console.error(
        '[baton-web] alert evaluation failed; retrying next round:',
        err instanceof Error ? err.message : err,
      ),
  });
  return globalForAlerts.batonAlertLoop;
}
