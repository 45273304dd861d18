import type { UsageRow } from '@baton/db/usage';
import client from 'prom-client';

/**
 * Prometheus metrics for one worker process, served at /metrics. Counters
 * only ever go up within the process; Prometheus' rate() does the rest.
 */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'baton_worker_' });

  const tasks = new client.Counter({
    name: 'baton_tasks_finished_total',
    help: 'Tasks this worker brought to a terminal state, by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const taskDuration = new client.Histogram({
    name: 'baton_task_duration_seconds',
    help: 'Wall time of task attempts that ended',
    labelNames: ['status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const requests = new client.Counter({
    name: 'baton_model_requests_total',
    help: 'Model responses recorded, by model and status',
    labelNames: ['model', 'status', 'backend'] as const,
    registers: [registry],
  });
  const tokens = new client.Counter({
    name: 'baton_tokens_total',
    help: 'Tokens recorded, by model and kind',
    labelNames: ['model', 'kind'] as const,
    registers: [registry],
  });
  const cost = new client.Counter({
    name: 'baton_cost_usd_total',
    help: 'Cost recorded in USD, by model',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const running = new client.Gauge({
    name: 'baton_tasks_running',
    help: 'Tasks this worker is running now',
    registers: [registry],
  });
  const queueDepth = new client.Gauge({
    name: 'baton_queue_depth',
    help: 'Jobs waiting in the task queue (all workers), by state',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const rateLimitRemaining = new client.Gauge({
    name: 'baton_ratelimit_remaining',
    help: 'Remaining capacity per rate-limit scope and dimension, as last seen',
    labelNames: ['scope', 'dimension'] as const,
    registers: [registry],
  });
  const breakerState = new client.Gauge({
    name: 'baton_breaker_state',
    help: 'Circuit breaker state per provider/model: 0 closed, 1 half-open, 2 open',
    labelNames: ['breaker'] as const,
    registers: [registry],
  });
  const poolSessions = new client.Gauge({
    name: 'baton_session_pool_sessions',
    help: 'Sessions in the pool, by state: active (leased), idle (kept for reuse), waiting (for a slot)',
    labelNames: ['state'] as const,
    registers: [registry],
  });

  return {
    registry,
    running,
    queueDepth,
    rateLimitRemaining,
    breakerState,
    poolSessions,
    taskFinished(status: string, durationMs: number) {
      tasks.inc({ status });
      taskDuration.observe({ status }, durationMs / 1000);
    },
    usage(records: UsageRow[]) {
      for (const r of records) {
        requests.inc({ model: r.model, status: r.status, backend: r.backend });
        tokens.inc({ model: r.model, kind: 'input' }, r.inputTokens);
        tokens.inc({ model: r.model, kind: 'output' }, r.outputTokens);
        tokens.inc({ model: r.model, kind: 'cache_write_5m' }, r.cacheWrite5mTokens);
        tokens.inc({ model: r.model, kind: 'cache_write_1h' }, r.cacheWrite1hTokens);
        tokens.inc({ model: r.model, kind: 'cache_read' }, r.cacheReadTokens);
        cost.inc({ model: r.model }, Number(r.costUsd));
      }
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
