-- Spend caps (repeatable: `migrate` re-applies this file whenever it changes).
--
-- The clock every cap reads: now(), unless the session (or the database, for new connections)
-- sets `baton.now` — how tests move to "the next day".
CREATE OR REPLACE FUNCTION baton_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('baton.now', true), '')::timestamptz, now())
$$;
--> statement-breakpoint
-- A period's window around `p_at`, on UTC boundaries (weeks start on Monday, as ISO's).
CREATE OR REPLACE FUNCTION baton_period_bounds(p_period text, p_at timestamptz,
                                               OUT starts_at timestamptz, OUT resets_at timestamptz)
LANGUAGE sql IMMUTABLE AS $$
  SELECT s, s + CASE p_period WHEN 'daily' THEN interval '1 day'
                              WHEN 'weekly' THEN interval '7 days'
                              ELSE interval '1 month' END
    FROM (SELECT date_trunc(CASE p_period WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END,
                            p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS s) b
$$;
--> statement-breakpoint
-- Every cap that applies to a task of team `p_team` submitted by user `p_user` ('' for none):
-- the instance's, the team's and the user's within the team, each with what its scope spent in
-- its current period, when that period resets, and the sentence that says so.
CREATE OR REPLACE FUNCTION baton_cap_state(p_team uuid, p_user text, p_at timestamptz DEFAULT NULL)
RETURNS TABLE (cap_id uuid, scope text, team_id uuid, user_id text, period text, usd numeric,
               spent numeric, starts_at timestamptz, resets_at timestamptz,
               set_by_operator boolean, message text)
LANGUAGE sql STABLE AS $$
  WITH caps AS (
    SELECT c.*, b.starts_at, b.resets_at
      FROM spend_caps c
      CROSS JOIN LATERAL baton_period_bounds(c.period, coalesce(p_at, baton_now())) b
     WHERE c.scope = 'instance'
        OR (c.scope = 'team' AND c.team_id = p_team)
        OR (c.scope = 'user' AND c.team_id = p_team AND c.user_id = p_user)
  ), spent AS (
    SELECT c.*, coalesce((
      SELECT sum(d.usd) FROM spend_daily d
       WHERE d.day >= (c.starts_at AT TIME ZONE 'UTC')::date
         AND d.day < (c.resets_at AT TIME ZONE 'UTC')::date
         AND (c.scope = 'instance' OR d.team_id = c.team_id)
         AND (c.scope <> 'user' OR d.user_id = c.user_id)), 0) AS used
      FROM caps c
  )
  SELECT s.id, s.scope, s.team_id, s.user_id, s.period, s.usd, round(s.used, 6), s.starts_at,
         s.resets_at, s.set_by_operator,
         format('the %s %s cap of $%s is reached ($%s spent); it resets at %s',
                CASE s.scope WHEN 'instance' THEN 'instance''s' WHEN 'team' THEN 'team''s' ELSE 'user''s' END,
                s.period, CASE WHEN s.usd = round(s.usd, 2) THEN to_char(s.usd, 'FM999999999990.00')
                     ELSE rtrim(to_char(s.usd, 'FM999999999990.0000'), '0') END,
                trim(to_char(s.used, 'FM999999999990.0000')),
                to_char(s.resets_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    FROM spent s
$$;
--> statement-breakpoint
-- An agent tree's budget (task_trees): the sentence saying it is spent, or NULL while it is not —
-- USD or tokens, whichever is reached (a tree may set either or both). One definition for the
-- start of a tree's task (refused) and the usage that reaches it (the tree stops).
CREATE OR REPLACE FUNCTION baton_tree_budget_spent(p_usd numeric, p_spent numeric, p_tokens bigint,
                                                   p_spent_tokens bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
           WHEN p_usd IS NOT NULL AND p_spent >= p_usd THEN
             format('the agent tree''s budget of $%s is spent ($%s)',
                    CASE WHEN p_usd = round(p_usd, 2) THEN to_char(p_usd, 'FM999999999990.00')
                         ELSE rtrim(to_char(p_usd, 'FM999999999990.0000'), '0') END,
                    trim(to_char(p_spent, 'FM999999999990.0000')))
           WHEN p_tokens IS NOT NULL AND p_spent_tokens >= p_tokens THEN
             format('the agent tree''s budget of %s tokens is spent (%s tokens)', p_tokens, p_spent_tokens)
         END
$$;
--> statement-breakpoint
-- The usage insert's reference check (first defined by migration 0011_usage_refs_by_statement;
-- defined here since it also keeps the agent trees' spend). Every distinct referenced key of the
-- statement's new rows is locked FOR KEY SHARE, as a foreign key check locks it (a concurrent
-- delete waits for the inserting transaction; a row already deleted is not found), and a missing
-- one raises foreign_key_violation (23503) with the constraint name the foreign key had.
--
-- Tree spend rides on the task lookup this check makes anyway: the tasks row it locks carries
-- root_task_id, so the same statement collects the tree of each task in the batch. A batch of
-- ordinary tasks (root_task_id NULL: nearly all of them) then costs no statement and no lookup
-- more than before — the tree update below sits behind a test of a variable, not a query. (The
-- alternatives cost every batch something: a join of the batch to tasks in the spend trigger is
-- a second index probe per task; a root id on usage_events is a column per row and a wider
-- insert for every writer.) A batch holding tree tasks adds its cost and tokens (input, output,
-- cache writes and reads) to each tree in one UPDATE; the one that reaches the budget flips the
-- tree to budget_exceeded, and while a tree stands there every batch of it NOTIFYs
-- baton_spend_cap with scope 'tree' — the channel the workers already stop capped tasks on — so
-- its running agents stop. A tree task is `capped` (its usage written response by response), so
-- the spend passes the budget by at most the requests in flight when it was reached.
CREATE OR REPLACE FUNCTION baton_usage_events_refs_check() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  missing text;
  v_tasks uuid[];
  v_roots uuid[];
  v_tree record;
BEGIN
  SELECT k.id::text INTO missing
  FROM (SELECT DISTINCT team_id AS id FROM new_usage ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM teams r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_team_id_teams_id_fk"',
      DETAIL = format('Key (team_id)=(%s) is not present in table "teams".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_team_id_teams_id_fk';
  END IF;
  -- The tasks, in key order (as a foreign key's checks would lock them), with their trees.
  SELECT min(k.id::text) FILTER (WHERE r.id IS NULL),
         array_agg(r.id) FILTER (WHERE r.root_task_id IS NOT NULL),
         array_agg(r.root_task_id) FILTER (WHERE r.root_task_id IS NOT NULL)
    INTO missing, v_tasks, v_roots
    FROM (SELECT DISTINCT task_id AS id FROM new_usage WHERE task_id IS NOT NULL ORDER BY 1) k
    LEFT JOIN LATERAL (SELECT r.id, r.root_task_id FROM tasks r WHERE r.id = k.id FOR KEY SHARE) r
      ON true;
  IF missing IS NOT NULL THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_task_id_tasks_id_fk"',
      DETAIL = format('Key (task_id)=(%s) is not present in table "tasks".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_task_id_tasks_id_fk';
  END IF;
  SELECT k.id INTO missing
  FROM (SELECT DISTINCT user_id AS id FROM new_usage WHERE user_id IS NOT NULL ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM users r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_user_id_users_id_fk"',
      DETAIL = format('Key (user_id)=(%s) is not present in table "users".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_user_id_users_id_fk';
  END IF;
  SELECT k.id::text INTO missing
  FROM (SELECT DISTINCT session_id AS id FROM new_usage WHERE session_id IS NOT NULL ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM claude_sessions r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_session_id_claude_sessions_id_fk"',
      DETAIL = format('Key (session_id)=(%s) is not present in table "claude_sessions".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_session_id_claude_sessions_id_fk';
  END IF;
  IF v_roots IS NOT NULL THEN
    FOR v_tree IN
      UPDATE task_trees tr
         SET spent_usd = tr.spent_usd + s.usd, spent_tokens = tr.spent_tokens + s.tokens,
             status = CASE WHEN tr.status = 'running'
                            AND baton_tree_budget_spent(tr.budget_usd, tr.spent_usd + s.usd,
                                                        tr.budget_tokens, tr.spent_tokens + s.tokens) IS NOT NULL
                           THEN 'budget_exceeded' ELSE tr.status END,
             stop_reason = CASE WHEN tr.status = 'running'
                                 AND baton_tree_budget_spent(tr.budget_usd, tr.spent_usd + s.usd,
                                                             tr.budget_tokens, tr.spent_tokens + s.tokens) IS NOT NULL
                                THEN baton_tree_budget_spent(tr.budget_usd, tr.spent_usd + s.usd,
                                                             tr.budget_tokens, tr.spent_tokens + s.tokens)
                                ELSE tr.stop_reason END,
             updated_at = now()
        FROM (SELECT m.root, sum(n.cost_usd) AS usd,
                     sum(n.input_tokens::bigint + n.output_tokens + n.cache_write_5m_tokens
                         + n.cache_write_1h_tokens + n.cache_read_tokens)::bigint AS tokens
                FROM new_usage n JOIN unnest(v_tasks, v_roots) AS m(task, root) ON m.task = n.task_id
               GROUP BY m.root) s
       WHERE tr.root_task_id = s.root
      RETURNING tr.root_task_id, tr.team_id, tr.status, tr.stop_reason
    LOOP
      IF v_tree.status = 'budget_exceeded' THEN
        PERFORM pg_notify('baton_spend_cap', json_build_object(
                  'scope', 'tree', 'team', v_tree.team_id, 'root', v_tree.root_task_id,
                  'message', v_tree.stop_reason)::text);
      END IF;
    END LOOP;
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Keeps spend_daily in the statement that inserts usage (only rows really inserted are in
-- new_usage: a usage row inserted twice is counted once), and tells every worker when a cap is
-- now reached (NOTIFY baton_spend_cap, a JSON payload naming the cap's scope, team and user; an
-- agent tree's budget is kept by baton_usage_events_refs_check above, in the same channel).
CREATE OR REPLACE FUNCTION baton_usage_spend() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO spend_daily AS d (team_id, user_id, day, usd)
  SELECT n.team_id, coalesce(n.user_id, ''), (n.created_at AT TIME ZONE 'UTC')::date, sum(n.cost_usd)
    FROM new_usage n
   GROUP BY 1, 2, 3
  HAVING sum(n.cost_usd) <> 0
   ORDER BY 1, 2, 3
  ON CONFLICT (team_id, user_id, day) DO UPDATE SET usd = d.usd + excluded.usd;
  IF EXISTS (SELECT 1 FROM spend_caps) THEN
    PERFORM pg_notify('baton_spend_cap', json_build_object(
              'scope', s.scope, 'team', s.team_id, 'user', s.user_id, 'message', s.message)::text)
       FROM (SELECT DISTINCT n.team_id, coalesce(n.user_id, '') AS user_id FROM new_usage n) k
      CROSS JOIN LATERAL baton_cap_state(k.team_id, k.user_id) s
      WHERE s.spent >= s.usd;
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Named to fire after usage_events_refs_check (triggers fire in name order): a missing team is
-- reported as the usage's own foreign key.
CREATE OR REPLACE TRIGGER usage_events_spend AFTER INSERT ON usage_events
  REFERENCING NEW TABLE AS new_usage FOR EACH STATEMENT EXECUTE FUNCTION baton_usage_spend();
--> statement-breakpoint
-- The statuses a task never leaves: one list for every function that needs it.
CREATE OR REPLACE FUNCTION baton_task_is_terminal(p_status task_status) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_status IN ('succeeded', 'failed', 'cancelled', 'timed_out', 'budget_exceeded')
$$;
