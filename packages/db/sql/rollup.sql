-- The analytics rollup functions (repeatable: `migrate` re-applies this file whenever it changes;
-- the versioned migrations that first defined them — 0003, 0008, 0009, 0011 — are history, and a
-- change to any of these functions is made here, once).
--
-- baton_rollup_usage(max_rows) claims up to max_rows usage rows not yet rolled up (oldest first,
-- FOR UPDATE SKIP LOCKED: concurrent callers take disjoint batches), marks them rolled_up and adds
-- their aggregates to every rollup in one statement (baton_rollup_usage_batch), so a row is
-- counted exactly once; it answers 0 at once when nothing is pending. See src/rollup.ts.
CREATE OR REPLACE FUNCTION baton_hist_add(a int[], b int[]) RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}'::int[])
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
--> statement-breakpoint
-- One batch: every rollup's upsert in one statement (one CTE per rollup).
CREATE OR REPLACE FUNCTION baton_rollup_usage_batch(max_rows int) RETURNS int
LANGUAGE plpgsql SET work_mem = '64MB' AS $fn$
DECLARE
  claimed int;
BEGIN
  with batch as (
    update usage_events u set rolled_up = true
    where u.id = any (array(
        select c.id from usage_events c where not c.rolled_up
        order by c.id limit greatest(max_rows, 0)
        for update skip locked))
      and not u.rolled_up
    returning u.created_at, u.team_id, u.user_id, u.model, u.backend, u.task_id, u.status, u.error_type,
      u.input_tokens, u.output_tokens, u.cache_write_5m_tokens, u.cache_write_1h_tokens, u.cache_read_tokens,
      u.cost_usd, u.latency_ms, u.ttft_ms
  ),
  m as (
    select date_trunc('minute', created_at, 'UTC') as bucket, team_id, coalesce(user_id, '') as user_id, model, backend,
      count(*)::bigint as requests,
      count(*) filter (where status = 'error')::bigint as errors,
      sum(input_tokens)::bigint as input_tokens,
      sum(output_tokens)::bigint as output_tokens,
      sum(cache_write_5m_tokens)::bigint as cache_write_5m_tokens,
      sum(cache_write_1h_tokens)::bigint as cache_write_1h_tokens,
      sum(cache_read_tokens)::bigint as cache_read_tokens,
      sum(cost_usd) as cost_usd,
      count(latency_ms)::bigint as latency_count,
      coalesce(sum(latency_ms), 0)::bigint as latency_ms_sum,
      count(ttft_ms)::bigint as ttft_count,
      coalesce(sum(ttft_ms), 0)::bigint as ttft_ms_sum,
      count(*) filter (where lb = 0)::int as l0,
      count(*) filter (where lb = 1)::int as l1,
      count(*) filter (where lb = 2)::int as l2,
      count(*) filter (where lb = 3)::int as l3,
      count(*) filter (where lb = 4)::int as l4,
      count(*) filter (where lb = 5)::int as l5,
      count(*) filter (where lb = 6)::int as l6,
      count(*) filter (where lb = 7)::int as l7,
      count(*) filter (where lb = 8)::int as l8,
      count(*) filter (where lb = 9)::int as l9,
      count(*) filter (where lb = 10)::int as l10,
      count(*) filter (where lb = 11)::int as l11,
      count(*) filter (where lb = 12)::int as l12,
      count(*) filter (where lb = 13)::int as l13,
      count(*) filter (where lb = 14)::int as l14,
      count(*) filter (where lb = 15)::int as l15,
      count(*) filter (where lb = 16)::int as l16,
      count(*) filter (where tb = 0)::int as t0,
      count(*) filter (where tb = 1)::int as t1,
      count(*) filter (where tb = 2)::int as t2,
      count(*) filter (where tb = 3)::int as t3,
      count(*) filter (where tb = 4)::int as t4,
      count(*) filter (where tb = 5)::int as t5,
      count(*) filter (where tb = 6)::int as t6,
      count(*) filter (where tb = 7)::int as t7,
      count(*) filter (where tb = 8)::int as t8,
      count(*) filter (where tb = 9)::int as t9,
      count(*) filter (where tb = 10)::int as t10,
      count(*) filter (where tb = 11)::int as t11,
      count(*) filter (where tb = 12)::int as t12,
      count(*) filter (where tb = 13)::int as t13,
      count(*) filter (where tb = 14)::int as t14,
      count(*) filter (where tb = 15)::int as t15,
      count(*) filter (where tb = 16)::int as t16
    from (
      select b.*, width_bucket(b.latency_ms, '{50,100,200,300,500,750,1000,1500,2000,3000,5000,7500,10000,15000,30000,60000}'::int[]) as lb, width_bucket(b.ttft_ms, '{50,100,200,300,500,750,1000,1500,2000,3000,5000,7500,10000,15000,30000,60000}'::int[]) as tb
      from batch b
    ) s
    group by 1, 2, 3, 4, 5
  ),
  minute_ins as (
    insert into usage_rollup_minute as t (bucket, team_id, user_id, model, backend, requests, errors, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, latency_count, latency_ms_sum, ttft_count, ttft_ms_sum, latency_hist, ttft_hist)
    select bucket, team_id, user_id, model, backend, requests, errors, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, latency_count, latency_ms_sum, ttft_count, ttft_ms_sum, array[l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16], array[t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16]
    from m
    order by 2, 1, 4, 5, 3
    on conflict (team_id, bucket, model, backend, user_id) do update set
      requests = t.requests + excluded.requests,
      errors = t.errors + excluded.errors,
      input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens,
      cache_write_5m_tokens = t.cache_write_5m_tokens + excluded.cache_write_5m_tokens,
      cache_write_1h_tokens = t.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cache_read_tokens = t.cache_read_tokens + excluded.cache_read_tokens,
      cost_usd = t.cost_usd + excluded.cost_usd,
      latency_count = t.latency_count + excluded.latency_count,
      latency_ms_sum = t.latency_ms_sum + excluded.latency_ms_sum,
      ttft_count = t.ttft_count + excluded.ttft_count,
      ttft_ms_sum = t.ttft_ms_sum + excluded.ttft_ms_sum,
      latency_hist = array[coalesce(t.latency_hist[1], 0) + coalesce(excluded.latency_hist[1], 0), coalesce(t.latency_hist[2], 0) + coalesce(excluded.latency_hist[2], 0), coalesce(t.latency_hist[3], 0) + coalesce(excluded.latency_hist[3], 0), coalesce(t.latency_hist[4], 0) + coalesce(excluded.latency_hist[4], 0), coalesce(t.latency_hist[5], 0) + coalesce(excluded.latency_hist[5], 0), coalesce(t.latency_hist[6], 0) + coalesce(excluded.latency_hist[6], 0), coalesce(t.latency_hist[7], 0) + coalesce(excluded.latency_hist[7], 0), coalesce(t.latency_hist[8], 0) + coalesce(excluded.latency_hist[8], 0), coalesce(t.latency_hist[9], 0) + coalesce(excluded.latency_hist[9], 0), coalesce(t.latency_hist[10], 0) + coalesce(excluded.latency_hist[10], 0), coalesce(t.latency_hist[11], 0) + coalesce(excluded.latency_hist[11], 0), coalesce(t.latency_hist[12], 0) + coalesce(excluded.latency_hist[12], 0), coalesce(t.latency_hist[13], 0) + coalesce(excluded.latency_hist[13], 0), coalesce(t.latency_hist[14], 0) + coalesce(excluded.latency_hist[14], 0), coalesce(t.latency_hist[15], 0) + coalesce(excluded.latency_hist[15], 0), coalesce(t.latency_hist[16], 0) + coalesce(excluded.latency_hist[16], 0), coalesce(t.latency_hist[17], 0) + coalesce(excluded.latency_hist[17], 0)],
      ttft_hist = array[coalesce(t.ttft_hist[1], 0) + coalesce(excluded.ttft_hist[1], 0), coalesce(t.ttft_hist[2], 0) + coalesce(excluded.ttft_hist[2], 0), coalesce(t.ttft_hist[3], 0) + coalesce(excluded.ttft_hist[3], 0), coalesce(t.ttft_hist[4], 0) + coalesce(excluded.ttft_hist[4], 0), coalesce(t.ttft_hist[5], 0) + coalesce(excluded.ttft_hist[5], 0), coalesce(t.ttft_hist[6], 0) + coalesce(excluded.ttft_hist[6], 0), coalesce(t.ttft_hist[7], 0) + coalesce(excluded.ttft_hist[7], 0), coalesce(t.ttft_hist[8], 0) + coalesce(excluded.ttft_hist[8], 0), coalesce(t.ttft_hist[9], 0) + coalesce(excluded.ttft_hist[9], 0), coalesce(t.ttft_hist[10], 0) + coalesce(excluded.ttft_hist[10], 0), coalesce(t.ttft_hist[11], 0) + coalesce(excluded.ttft_hist[11], 0), coalesce(t.ttft_hist[12], 0) + coalesce(excluded.ttft_hist[12], 0), coalesce(t.ttft_hist[13], 0) + coalesce(excluded.ttft_hist[13], 0), coalesce(t.ttft_hist[14], 0) + coalesce(excluded.ttft_hist[14], 0), coalesce(t.ttft_hist[15], 0) + coalesce(excluded.ttft_hist[15], 0), coalesce(t.ttft_hist[16], 0) + coalesce(excluded.ttft_hist[16], 0), coalesce(t.ttft_hist[17], 0) + coalesce(excluded.ttft_hist[17], 0)]
    returning 1
  ),
  hour_ins as (
    insert into usage_rollup_hour as t (bucket, team_id, user_id, model, backend, requests, errors, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, latency_count, latency_ms_sum, ttft_count, ttft_ms_sum, latency_hist, ttft_hist)
    select date_trunc('hour', bucket, 'UTC'), team_id, user_id, model, backend, sum(requests), sum(errors), sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(cost_usd), sum(latency_count), sum(latency_ms_sum), sum(ttft_count), sum(ttft_ms_sum), array[sum(l0)::int, sum(l1)::int, sum(l2)::int, sum(l3)::int, sum(l4)::int, sum(l5)::int, sum(l6)::int, sum(l7)::int, sum(l8)::int, sum(l9)::int, sum(l10)::int, sum(l11)::int, sum(l12)::int, sum(l13)::int, sum(l14)::int, sum(l15)::int, sum(l16)::int], array[sum(t0)::int, sum(t1)::int, sum(t2)::int, sum(t3)::int, sum(t4)::int, sum(t5)::int, sum(t6)::int, sum(t7)::int, sum(t8)::int, sum(t9)::int, sum(t10)::int, sum(t11)::int, sum(t12)::int, sum(t13)::int, sum(t14)::int, sum(t15)::int, sum(t16)::int]
    from m group by 1, 2, 3, 4, 5
    order by 2, 1, 4, 5, 3
    on conflict (team_id, bucket, model, backend, user_id) do update set
      requests = t.requests + excluded.requests,
      errors = t.errors + excluded.errors,
      input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens,
      cache_write_5m_tokens = t.cache_write_5m_tokens + excluded.cache_write_5m_tokens,
      cache_write_1h_tokens = t.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cache_read_tokens = t.cache_read_tokens + excluded.cache_read_tokens,
      cost_usd = t.cost_usd + excluded.cost_usd,
      latency_count = t.latency_count + excluded.latency_count,
      latency_ms_sum = t.latency_ms_sum + excluded.latency_ms_sum,
      ttft_count = t.ttft_count + excluded.ttft_count,
      ttft_ms_sum = t.ttft_ms_sum + excluded.ttft_ms_sum,
      latency_hist = array[coalesce(t.latency_hist[1], 0) + coalesce(excluded.latency_hist[1], 0), coalesce(t.latency_hist[2], 0) + coalesce(excluded.latency_hist[2], 0), coalesce(t.latency_hist[3], 0) + coalesce(excluded.latency_hist[3], 0), coalesce(t.latency_hist[4], 0) + coalesce(excluded.latency_hist[4], 0), coalesce(t.latency_hist[5], 0) + coalesce(excluded.latency_hist[5], 0), coalesce(t.latency_hist[6], 0) + coalesce(excluded.latency_hist[6], 0), coalesce(t.latency_hist[7], 0) + coalesce(excluded.latency_hist[7], 0), coalesce(t.latency_hist[8], 0) + coalesce(excluded.latency_hist[8], 0), coalesce(t.latency_hist[9], 0) + coalesce(excluded.latency_hist[9], 0), coalesce(t.latency_hist[10], 0) + coalesce(excluded.latency_hist[10], 0), coalesce(t.latency_hist[11], 0) + coalesce(excluded.latency_hist[11], 0), coalesce(t.latency_hist[12], 0) + coalesce(excluded.latency_hist[12], 0), coalesce(t.latency_hist[13], 0) + coalesce(excluded.latency_hist[13], 0), coalesce(t.latency_hist[14], 0) + coalesce(excluded.latency_hist[14], 0), coalesce(t.latency_hist[15], 0) + coalesce(excluded.latency_hist[15], 0), coalesce(t.latency_hist[16], 0) + coalesce(excluded.latency_hist[16], 0), coalesce(t.latency_hist[17], 0) + coalesce(excluded.latency_hist[17], 0)],
      ttft_hist = array[coalesce(t.ttft_hist[1], 0) + coalesce(excluded.ttft_hist[1], 0), coalesce(t.ttft_hist[2], 0) + coalesce(excluded.ttft_hist[2], 0), coalesce(t.ttft_hist[3], 0) + coalesce(excluded.ttft_hist[3], 0), coalesce(t.ttft_hist[4], 0) + coalesce(excluded.ttft_hist[4], 0), coalesce(t.ttft_hist[5], 0) + coalesce(excluded.ttft_hist[5], 0), coalesce(t.ttft_hist[6], 0) + coalesce(excluded.ttft_hist[6], 0), coalesce(t.ttft_hist[7], 0) + coalesce(excluded.ttft_hist[7], 0), coalesce(t.ttft_hist[8], 0) + coalesce(excluded.ttft_hist[8], 0), coalesce(t.ttft_hist[9], 0) + coalesce(excluded.ttft_hist[9], 0), coalesce(t.ttft_hist[10], 0) + coalesce(excluded.ttft_hist[10], 0), coalesce(t.ttft_hist[11], 0) + coalesce(excluded.ttft_hist[11], 0), coalesce(t.ttft_hist[12], 0) + coalesce(excluded.ttft_hist[12], 0), coalesce(t.ttft_hist[13], 0) + coalesce(excluded.ttft_hist[13], 0), coalesce(t.ttft_hist[14], 0) + coalesce(excluded.ttft_hist[14], 0), coalesce(t.ttft_hist[15], 0) + coalesce(excluded.ttft_hist[15], 0), coalesce(t.ttft_hist[16], 0) + coalesce(excluded.ttft_hist[16], 0), coalesce(t.ttft_hist[17], 0) + coalesce(excluded.ttft_hist[17], 0)]
    returning 1
  ),
  err_ins as (
    insert into usage_error_rollup_hour as t (bucket, team_id, user_id, model, backend, error_type, errors)
    select date_trunc('hour', created_at, 'UTC'), team_id, coalesce(user_id, ''), model, backend, coalesce(error_type, 'unknown'), count(*)
    from batch where status = 'error'
    group by 1, 2, 3, 4, 5, 6
    order by 2, 1, 6, 4, 5, 3
    on conflict (team_id, bucket, error_type, model, backend, user_id) do update set errors = t.errors + excluded.errors
    returning 1
  ),
  task_ins as (
    insert into usage_task_rollup as t (task_id, team_id, user_id, model, backend, requests, errors, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd, first_at, last_at)
    select task_id, (array_agg(team_id order by created_at))[1], (array_agg(coalesce(user_id, '') order by created_at))[1],
      (array_agg(model order by created_at))[1], (array_agg(backend order by created_at))[1],
      count(*), count(*) filter (where status = 'error'), sum(input_tokens), sum(output_tokens),
      sum(cache_write_5m_tokens + cache_write_1h_tokens), sum(cache_read_tokens), sum(cost_usd), min(created_at), max(created_at)
    from batch where task_id is not null
    group by task_id
    order by task_id
    on conflict (task_id) do update set
      requests = t.requests + excluded.requests,
      errors = t.errors + excluded.errors,
      input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens,
      cache_write_tokens = t.cache_write_tokens + excluded.cache_write_tokens,
      cache_read_tokens = t.cache_read_tokens + excluded.cache_read_tokens,
      cost_usd = t.cost_usd + excluded.cost_usd,
      first_at = least(t.first_at, excluded.first_at),
      last_at = greatest(t.last_at, excluded.last_at),
      prev_cost_usd = t.cost_usd,
      prev_first_at = t.first_at
    returning t.team_id, t.user_id, t.model, t.backend, t.cost_usd, t.first_at, t.prev_cost_usd, t.prev_first_at,
      (xmax = 0) as inserted
  ),
  cost_moves as (
    select date_trunc('day', first_at, 'UTC') as day, team_id, user_id, model, backend,
      width_bucket(cost_usd, '{0.001,0.01,0.05,0.1,0.25,0.5,1,2,5,10}'::numeric[]) as bucket, 1 as tasks, cost_usd
    from task_ins
    union all
    select date_trunc('day', prev_first_at, 'UTC'), team_id, user_id, model, backend,
      width_bucket(prev_cost_usd, '{0.001,0.01,0.05,0.1,0.25,0.5,1,2,5,10}'::numeric[]), -1, -prev_cost_usd
    from task_ins where not inserted
  ),
  cost_ins as (
    insert into usage_task_cost_day as t (day, team_id, user_id, model, backend, bucket, tasks, cost_usd)
    select day, team_id, user_id, model, backend, bucket, sum(tasks), sum(cost_usd)
    from cost_moves
    group by 1, 2, 3, 4, 5, 6
    having sum(tasks) <> 0 or sum(cost_usd) <> 0
    order by 2, 1, 6, 4, 5, 3
    on conflict (team_id, day, bucket, model, backend, user_id) do update set
      tasks = t.tasks + excluded.tasks,
      cost_usd = t.cost_usd + excluded.cost_usd
    returning 1
  ),
  day_ins as (
    insert into usage_rollup_day as t (bucket, team_id, user_id, model, backend, requests, errors, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, latency_count, latency_ms_sum, ttft_count, ttft_ms_sum, latency_hist, ttft_hist)
    select date_trunc('day', bucket, 'UTC'), team_id, user_id, model, backend, sum(requests), sum(errors), sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(cost_usd), sum(latency_count), sum(latency_ms_sum), sum(ttft_count), sum(ttft_ms_sum), array[sum(l0)::int, sum(l1)::int, sum(l2)::int, sum(l3)::int, sum(l4)::int, sum(l5)::int, sum(l6)::int, sum(l7)::int, sum(l8)::int, sum(l9)::int, sum(l10)::int, sum(l11)::int, sum(l12)::int, sum(l13)::int, sum(l14)::int, sum(l15)::int, sum(l16)::int], array[sum(t0)::int, sum(t1)::int, sum(t2)::int, sum(t3)::int, sum(t4)::int, sum(t5)::int, sum(t6)::int, sum(t7)::int, sum(t8)::int, sum(t9)::int, sum(t10)::int, sum(t11)::int, sum(t12)::int, sum(t13)::int, sum(t14)::int, sum(t15)::int, sum(t16)::int]
    from m group by 1, 2, 3, 4, 5
    order by 2, 1, 4, 5, 3
    on conflict (team_id, bucket, model, backend, user_id) do update set
      requests = t.requests + excluded.requests,
      errors = t.errors + excluded.errors,
      input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens,
      cache_write_5m_tokens = t.cache_write_5m_tokens + excluded.cache_write_5m_tokens,
      cache_write_1h_tokens = t.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cache_read_tokens = t.cache_read_tokens + excluded.cache_read_tokens,
      cost_usd = t.cost_usd + excluded.cost_usd,
      latency_count = t.latency_count + excluded.latency_count,
      latency_ms_sum = t.latency_ms_sum + excluded.latency_ms_sum,
      ttft_count = t.ttft_count + excluded.ttft_count,
      ttft_ms_sum = t.ttft_ms_sum + excluded.ttft_ms_sum,
      latency_hist = array[coalesce(t.latency_hist[1], 0) + coalesce(excluded.latency_hist[1], 0), coalesce(t.latency_hist[2], 0) + coalesce(excluded.latency_hist[2], 0), coalesce(t.latency_hist[3], 0) + coalesce(excluded.latency_hist[3], 0), coalesce(t.latency_hist[4], 0) + coalesce(excluded.latency_hist[4], 0), coalesce(t.latency_hist[5], 0) + coalesce(excluded.latency_hist[5], 0), coalesce(t.latency_hist[6], 0) + coalesce(excluded.latency_hist[6], 0), coalesce(t.latency_hist[7], 0) + coalesce(excluded.latency_hist[7], 0), coalesce(t.latency_hist[8], 0) + coalesce(excluded.latency_hist[8], 0), coalesce(t.latency_hist[9], 0) + coalesce(excluded.latency_hist[9], 0), coalesce(t.latency_hist[10], 0) + coalesce(excluded.latency_hist[10], 0), coalesce(t.latency_hist[11], 0) + coalesce(excluded.latency_hist[11], 0), coalesce(t.latency_hist[12], 0) + coalesce(excluded.latency_hist[12], 0), coalesce(t.latency_hist[13], 0) + coalesce(excluded.latency_hist[13], 0), coalesce(t.latency_hist[14], 0) + coalesce(excluded.latency_hist[14], 0), coalesce(t.latency_hist[15], 0) + coalesce(excluded.latency_hist[15], 0), coalesce(t.latency_hist[16], 0) + coalesce(excluded.latency_hist[16], 0), coalesce(t.latency_hist[17], 0) + coalesce(excluded.latency_hist[17], 0)],
      ttft_hist = array[coalesce(t.ttft_hist[1], 0) + coalesce(excluded.ttft_hist[1], 0), coalesce(t.ttft_hist[2], 0) + coalesce(excluded.ttft_hist[2], 0), coalesce(t.ttft_hist[3], 0) + coalesce(excluded.ttft_hist[3], 0), coalesce(t.ttft_hist[4], 0) + coalesce(excluded.ttft_hist[4], 0), coalesce(t.ttft_hist[5], 0) + coalesce(excluded.ttft_hist[5], 0), coalesce(t.ttft_hist[6], 0) + coalesce(excluded.ttft_hist[6], 0), coalesce(t.ttft_hist[7], 0) + coalesce(excluded.ttft_hist[7], 0), coalesce(t.ttft_hist[8], 0) + coalesce(excluded.ttft_hist[8], 0), coalesce(t.ttft_hist[9], 0) + coalesce(excluded.ttft_hist[9], 0), coalesce(t.ttft_hist[10], 0) + coalesce(excluded.ttft_hist[10], 0), coalesce(t.ttft_hist[11], 0) + coalesce(excluded.ttft_hist[11], 0), coalesce(t.ttft_hist[12], 0) + coalesce(excluded.ttft_hist[12], 0), coalesce(t.ttft_hist[13], 0) + coalesce(excluded.ttft_hist[13], 0), coalesce(t.ttft_hist[14], 0) + coalesce(excluded.ttft_hist[14], 0), coalesce(t.ttft_hist[15], 0) + coalesce(excluded.ttft_hist[15], 0), coalesce(t.ttft_hist[16], 0) + coalesce(excluded.ttft_hist[16], 0), coalesce(t.ttft_hist[17], 0) + coalesce(excluded.ttft_hist[17], 0)]
    returning 1
  )
  select count(*)::int into claimed from batch;
  return claimed;
END
$fn$;
--> statement-breakpoint
-- Answers 0 at once when nothing is pending: the analytics router calls it before every dashboard
-- query, and planning the batch statement alone costs milliseconds.
CREATE OR REPLACE FUNCTION baton_rollup_usage(max_rows int) RETURNS int
LANGUAGE plpgsql AS $fn$
BEGIN
  -- ORDER BY id: the partial index, whatever the statistics say.
  PERFORM 1 FROM usage_events WHERE NOT rolled_up ORDER BY id LIMIT 1;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  RETURN baton_rollup_usage_batch(max_rows);
END
$fn$;
--> statement-breakpoint
-- A deleted task leaves the cost distribution (its usage_task_rollup row cascades).
CREATE OR REPLACE FUNCTION baton_task_rollup_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE usage_task_cost_day d SET tasks = d.tasks - o.tasks, cost_usd = d.cost_usd - o.cost_usd
  FROM (
    SELECT date_trunc('day', first_at, 'UTC') AS day, team_id, user_id, model, backend,
      width_bucket(cost_usd, '{0.001,0.01,0.05,0.1,0.25,0.5,1,2,5,10}'::numeric[]) AS bucket, count(*) AS tasks, sum(cost_usd) AS cost_usd
    FROM old_tasks GROUP BY 1, 2, 3, 4, 5, 6
  ) o
  WHERE d.team_id = o.team_id AND d.day = o.day AND d.bucket = o.bucket AND d.model = o.model
    AND d.backend = o.backend AND d.user_id = o.user_id;
  RETURN NULL;
END
$fn$;
