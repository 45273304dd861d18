-- The task lifecycle's two statements (repeatable: `migrate` re-applies this file whenever it
-- changes; the versioned migrations that first defined them are history).
--
-- Session states (claude_sessions.state, one row per task: provider_session_id = the task id) are
-- written inside these statements, never in a round trip of their own:
--   active  while an attempt of the task runs (baton_task_start);
--   idle    when the attempt ended and the task will run again — a retry, a requeue on shutdown,
--           or a lease that lapsed (its worker killed or stalled: baton_sessions_reap, run by
--           every live worker's heartbeat) — so the conversation resumes;
--   closed  when the task ended as succeeded, cancelled, timed_out or budget_exceeded;
--   failed  when the task ended as failed.
-- A re-driven task (task.retry) starts again: active, resuming the saved conversation.
CREATE OR REPLACE FUNCTION baton_session_state(p_status task_status)
RETURNS session_state
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE p_status
           WHEN 'running' THEN 'active'
           WHEN 'queued' THEN 'idle'
           WHEN 'failed' THEN 'failed'
           ELSE 'closed'
         END::session_state
$fn$;
--> statement-breakpoint
-- The sessions of attempts whose lease is gone: marked active while the task's pg-boss job is no
-- longer active (its worker stopped heartbeating and the queue's monitor failed the job back to
-- retry, or it ended) or the task is no longer running. Cheap enough for every heartbeat: the
-- active sessions are few (a partial index) and each is checked by primary keys. Returns how
-- many it changed. Before pg-boss created its schema there is no lease to check.
CREATE OR REPLACE FUNCTION baton_sessions_reap()
RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_n int := 0;
BEGIN
  IF to_regclass('pgboss.job') IS NULL THEN
    RETURN 0;
  END IF;
  -- SKIP LOCKED: workers beating at once share the rows instead of waiting on (or deadlocking
  -- with) each other or a start or settle writing the same session; one written in the last
  -- 5 s is left alone (a start that committed after this statement's snapshot of the jobs). A
  -- session whose task is gone (deleted: task_id set null) ended with it.
  EXECUTE $q$
    UPDATE claude_sessions s
       SET state = CASE WHEN c.status IS NULL THEN 'closed'::session_state
                        WHEN c.status = 'running' THEN 'idle'::session_state
                        ELSE baton_session_state(c.status) END,
           updated_at = now()
      FROM (SELECT s2.id, t.status FROM claude_sessions s2
              LEFT JOIN tasks t ON t.id = s2.task_id
             WHERE s2.state = 'active' AND s2.updated_at < now() - interval '5 seconds'
               AND (t.id IS NULL OR t.status <> 'running'
                    OR NOT EXISTS (SELECT 1 FROM pgboss.job j
                                    WHERE j.name = 'baton-task-run' AND j.state = 'active'
                                      AND t.job_id ~ '^[0-9a-fA-F-]{36}$' AND j.id = t.job_id::uuid))
               FOR UPDATE OF s2 SKIP LOCKED) c
     WHERE s.id = c.id$q$;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$fn$;
--> statement-breakpoint
-- A tree's root ended (p_status: the terminal status it ended with, p_reason its status_reason):
-- the tree's status follows it unless the tree already stopped (a cancel, its budget spent), and
-- its agents still queued are cancelled — they would only start into a finished tree. Its agents
-- running go on to their own end (the tree's own cancel stops them). Called only for a root
-- (tasks.root_task_id = its own id), by the statement that ended it.
CREATE OR REPLACE FUNCTION baton_tree_root_ended(p_root uuid, p_status text, p_reason text)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_ids uuid[];
BEGIN
  UPDATE task_trees
     SET status = CASE p_status WHEN 'succeeded' THEN 'succeeded' WHEN 'cancelled' THEN 'cancelled'
                                WHEN 'budget_exceeded' THEN 'budget_exceeded' ELSE 'failed' END,
         stop_reason = 'the root task ended ' || p_status || coalesce(': ' || p_reason, ''),
         updated_at = now()
   WHERE task_trees.root_task_id = p_root AND task_trees.status = 'running';
  WITH c AS (
    UPDATE tasks SET status = 'cancelled', status_reason = 'the tree''s root ended', error = NULL,
           finished_at = now(), updated_at = now()
     WHERE tasks.root_task_id = p_root AND tasks.id <> p_root AND tasks.status = 'queued'
    RETURNING tasks.id)
  SELECT array_agg(c.id) INTO v_ids FROM c;
  IF v_ids IS NOT NULL THEN
    UPDATE claude_sessions SET state = 'closed', updated_at = now()
     WHERE claude_sessions.backend IN ('api', 'claude-code')
       AND claude_sessions.provider_session_id = ANY (v_ids::text[])
       AND claude_sessions.state <> 'closed';
    PERFORM pg_notify('baton_task_events', i::text) FROM unnest(v_ids) AS i;
  END IF;
END
$fn$;
--> statement-breakpoint
--
-- Starts an attempt: loads the task; cancels it if its cancellation was requested; checks the
-- team quota (serialised per team by an advisory transaction lock); marks it running (attempts+1);
-- appends its attempt_started event; returns the conversation an earlier attempt saved and, for a
-- claude-code task, its sandbox policy and team repository; ends it as budget_exceeded when a
-- spend cap that applies is reached.
-- A task of an agent tree (root_task_id set; ordinary tasks skip all of it behind one IF on a
-- column already loaded) takes the inputs sent to it and not yet taken (`task.inputs`), and
-- obeys its tree: a stopped tree's task ends without starting —
-- cancelled, or budget_exceeded when the tree's budget is spent — and one over the tree's
-- max_concurrent is deferred exactly as a team over its quota is ('over-quota': the worker holds
-- the job and tries again shortly). Its usage is then written response by response ('capped')
-- when the tree has a budget, so the spend trigger stops the tree in time.
CREATE OR REPLACE FUNCTION baton_task_start(p_task uuid, p_job text, p_job_retry int)
RETURNS TABLE (outcome text, attempt int, last_seq int, session jsonb, task jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  t tasks%ROWTYPE;
  v_running int;
  v_quota int;
  v_tools text[];
  v_mode text;
  v_allow boolean;
  v_weight int;
  v_cap record;
  v_capped boolean;
  v_cred record;
  v_tree task_trees%ROWTYPE;
  v_tree_msg text;
  v_tree_capped boolean := false;
  v_inputs jsonb;
BEGIN
  SELECT * INTO t FROM tasks WHERE tasks.id = p_task;
  IF NOT FOUND THEN
    outcome := 'missing';
    RETURN NEXT;
    RETURN;
  END IF;
  task := jsonb_build_object(
    'id', t.id, 'team_id', t.team_id, 'created_by', t.created_by, 'prompt', t.prompt,
    'backend', t.backend, 'model', t.model, 'fallback_models', to_jsonb(t.fallback_models),
    'options', t.options, 'status', t.status, 'attempts', t.attempts,
    'max_attempts', t.max_attempts, 'budget_usd', t.budget_usd::text, 'timeout_ms', t.timeout_ms,
    'cancel_requested_at', t.cancel_requested_at, 'priority', t.priority,
    'root_task_id', t.root_task_id);
  IF t.cancel_requested_at IS NOT NULL THEN
    UPDATE tasks SET status = 'cancelled', status_reason = 'cancelled before it started',
           error = NULL, finished_at = now(), updated_at = now()
     WHERE tasks.id = p_task AND NOT baton_task_is_terminal(tasks.status);
    IF FOUND THEN
      UPDATE claude_sessions SET state = 'closed', updated_at = now()
       WHERE claude_sessions.backend IN ('api', 'claude-code')
         AND claude_sessions.provider_session_id = p_task::text AND claude_sessions.state <> 'closed';
      PERFORM pg_notify('baton_task_events', p_task::text);
      IF t.root_task_id = t.id THEN
        PERFORM baton_tree_root_ended(t.id, 'cancelled', 'cancelled before it started');
      END IF;
    END IF;
    outcome := 'cancelled';
    RETURN NEXT;
    RETURN;
  END IF;
  IF t.status NOT IN ('queued', 'running') THEN
    outcome := 'finished';
    RETURN NEXT;
    RETURN;
  END IF;
  -- The team quota holds exactly: checks and starts are serialised per team (pg-boss group
  -- concurrency spreads a team's jobs, but two workers fetching at once can both see a slot).
  PERFORM pg_advisory_xact_lock(728145201, hashtext(t.team_id::text));
  -- The task's tree (under the same lock: a tree's agents are all of its root's team, so the
  -- tree's max_concurrent holds exactly too).
  IF t.root_task_id IS NOT NULL THEN
    SELECT * INTO v_tree FROM task_trees WHERE task_trees.root_task_id = t.root_task_id;
    IF FOUND THEN
      v_tree_msg := baton_tree_budget_spent(v_tree.budget_usd, v_tree.spent_usd,
                                            v_tree.budget_tokens, v_tree.spent_tokens);
      IF v_tree.status = 'budget_exceeded' OR (v_tree.status = 'running' AND v_tree_msg IS NOT NULL) THEN
        -- A budget reached while the tree still reads running (lowered since): it stops now.
        IF v_tree.status = 'running' THEN
          UPDATE task_trees SET status = 'budget_exceeded', stop_reason = v_tree_msg, updated_at = now()
           WHERE task_trees.root_task_id = v_tree.root_task_id AND task_trees.status = 'running';
          PERFORM pg_notify('baton_spend_cap', json_build_object(
                    'scope', 'tree', 'team', v_tree.team_id, 'root', v_tree.root_task_id,
                    'message', v_tree_msg)::text);
        ELSE
          v_tree_msg := coalesce(v_tree.stop_reason, v_tree_msg, 'the agent tree''s budget is spent');
        END IF;
        UPDATE tasks SET status = 'budget_exceeded', status_reason = 'not started: ' || v_tree_msg,
               error = jsonb_build_object('type', 'BudgetExceeded', 'message', v_tree_msg,
                                          'tree', jsonb_build_object(
                                            'rootTaskId', v_tree.root_task_id,
                                            'budgetUsd', v_tree.budget_usd::text,
                                            'spentUsd', v_tree.spent_usd::text,
                                            'budgetTokens', v_tree.budget_tokens,
                                            'spentTokens', v_tree.spent_tokens)),
               finished_at = now(), updated_at = now()
         WHERE tasks.id = p_task AND tasks.status IN ('queued', 'running');
        outcome := 'budget-exceeded';
      ELSIF v_tree.status <> 'running' THEN
        UPDATE tasks SET status = 'cancelled',
               status_reason = CASE v_tree.status
                                 WHEN 'cancelled' THEN 'not started: the agent tree was cancelled'
                                 ELSE 'not started: the agent tree has ended (' || v_tree.status || ')'
                               END || coalesce(' — ' || v_tree.stop_reason, ''),
               error = NULL, finished_at = now(), updated_at = now()
         WHERE tasks.id = p_task AND tasks.status IN ('queued', 'running');
        outcome := 'cancelled';
      END IF;
      IF outcome IS NOT NULL THEN
        UPDATE claude_sessions SET state = 'closed', updated_at = now()
         WHERE claude_sessions.backend IN ('api', 'claude-code')
           AND claude_sessions.provider_session_id = p_task::text AND claude_sessions.state <> 'closed';
        PERFORM pg_notify('baton_task_events', p_task::text);
        IF t.root_task_id = t.id THEN
          PERFORM baton_tree_root_ended(t.id, replace(outcome, '-', '_'), NULL);
        END IF;
        RETURN NEXT;
        RETURN;
      END IF;
      IF (SELECT count(*) FROM tasks
           WHERE tasks.root_task_id = t.root_task_id AND tasks.status = 'running'
             AND tasks.id <> p_task) >= v_tree.max_concurrent THEN
        outcome := 'over-quota';
        RETURN NEXT;
        RETURN;
      END IF;
      v_tree_capped := v_tree.budget_usd IS NOT NULL OR v_tree.budget_tokens IS NOT NULL;
    END IF;
  END IF;
  SELECT count(*)::int INTO v_running FROM tasks
   WHERE tasks.team_id = t.team_id AND tasks.status = 'running' AND tasks.id <> p_task;
  SELECT teams.max_concurrent_tasks, teams.claude_code_tools, teams.claude_code_permission_mode,
         teams.allow_instance_key, teams.share_weight
    INTO v_quota, v_tools, v_mode, v_allow, v_weight FROM teams WHERE teams.id = t.team_id;
  IF v_quota IS NOT NULL AND v_running >= v_quota THEN
    outcome := 'over-quota';
    RETURN NEXT;
    RETURN;
  END IF;
  -- Spend caps (instance, team, user within the team): a reached one ends the task here, with
  -- the cap that stopped it; the strictest (the one resetting last) is named.
  -- (Behind an IF rather than a WHERE: a query whose filter is a false parameter is re-planned
  -- on every call, the caps' whole query with it.)
  v_capped := EXISTS (SELECT 1 FROM spend_caps c WHERE c.scope = 'instance' OR c.team_id = t.team_id);
  IF v_capped THEN
    SELECT * INTO v_cap FROM baton_cap_state(t.team_id, coalesce(t.created_by, ''))
     ORDER BY (spent >= usd) DESC, resets_at DESC LIMIT 1;
    IF FOUND AND v_cap.spent >= v_cap.usd THEN
      UPDATE tasks SET status = 'budget_exceeded', status_reason = 'not started: ' || v_cap.message,
             error = jsonb_build_object('type', 'BudgetExceeded', 'message', v_cap.message,
                                        'cap', jsonb_build_object('scope', v_cap.scope, 'period', v_cap.period,
                                                                  'usd', v_cap.usd::text, 'spent', v_cap.spent::text,
                                                                  'resetsAt', v_cap.resets_at)),
             finished_at = now(), updated_at = now()
       WHERE tasks.id = p_task AND tasks.status IN ('queued', 'running');
      UPDATE claude_sessions SET state = 'closed', updated_at = now()
       WHERE claude_sessions.backend IN ('api', 'claude-code')
         AND claude_sessions.provider_session_id = p_task::text AND claude_sessions.state <> 'closed';
      PERFORM pg_notify('baton_task_events', p_task::text);
      IF t.root_task_id = t.id THEN
        PERFORM baton_tree_root_ended(t.id, 'budget_exceeded', 'not started: ' || v_cap.message);
      END IF;
      outcome := 'budget-exceeded';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  UPDATE tasks SET status = 'running', attempts = tasks.attempts + 1,
         started_at = coalesce(tasks.started_at, now()), updated_at = now(), status_reason = NULL,
         job_id = p_job
   WHERE tasks.id = p_task AND tasks.status IN ('queued', 'running')
   RETURNING tasks.attempts INTO attempt;
  IF NOT FOUND THEN
    outcome := 'finished';
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT coalesce(max(e.seq), 0) + 1 INTO last_seq FROM task_events e WHERE e.task_id = p_task;
  INSERT INTO task_events (task_id, seq, attempt, type, data)
  VALUES (p_task, last_seq, attempt, 'attempt_started',
          jsonb_build_object('attempt', attempt, 'jobRetry', p_job_retry, 'backend', t.backend,
                             'model', t.model))
  ON CONFLICT (task_id, seq) DO NOTHING;
  PERFORM pg_notify('baton_task_events', p_task::text);
  SELECT s.state_blob INTO session FROM claude_sessions s
   WHERE s.backend IN ('api', 'claude-code') AND s.provider_session_id = p_task::text
     AND s.state_blob IS NOT NULL
   ORDER BY s.updated_at DESC LIMIT 1;
  -- An agent's inputs (send_input) not yet taken: this attempt takes them, in order, as its next
  -- user messages (only a tree's agents can be sent any; ordinary tasks skip it on a loaded column).
  IF t.root_task_id IS NOT NULL THEN
    WITH taken AS (
      UPDATE task_inputs SET consumed_at = now()
       WHERE task_inputs.task_id = p_task AND task_inputs.consumed_at IS NULL
      RETURNING task_inputs.id, task_inputs.message)
    SELECT jsonb_agg(jsonb_build_object('id', taken.id, 'message', taken.message) ORDER BY taken.id)
      INTO v_inputs FROM taken;
    IF v_inputs IS NOT NULL THEN
      task := task || jsonb_build_object('inputs', v_inputs);
    END IF;
  END IF;
  -- The task's session is active from now until the attempt settles (or its lease lapses).
  INSERT INTO claude_sessions (team_id, task_id, backend, provider_session_id, state, model,
                               updated_at, last_used_at)
  VALUES (t.team_id, t.id, t.backend, p_task::text, 'active', t.model, now(), now())
  ON CONFLICT (backend, provider_session_id) DO UPDATE SET
    state = 'active', task_id = excluded.task_id, updated_at = now(), last_used_at = now();
  -- The team's provider key (its newest credential, still encrypted: the worker decrypts it),
  -- whether it may fall back to the instance's, its share weight, whether a cap applies.
  SELECT c.ciphertext, c.label INTO v_cred FROM provider_credentials c
   WHERE c.team_id = t.team_id AND c.provider = 'anthropic'
   ORDER BY coalesce(c.rotated_at, c.created_at) DESC LIMIT 1;
  task := task || jsonb_build_object(
    'credential', CASE WHEN v_cred.ciphertext IS NULL THEN NULL
                       ELSE jsonb_build_object('ciphertext', v_cred.ciphertext,
                                               'aad', t.team_id::text || ':anthropic:' || v_cred.label) END,
    'allow_instance_key', coalesce(v_allow, false),
    'share_weight', coalesce(v_weight, 1),
    'capped', v_capped OR v_tree_capped);
  -- A claude-code task's policy, read here rather than in a statement of its own: the team's
  -- tools and permission mode, the instance's resource limits, the team repository it names.
  IF t.backend = 'claude-code' THEN
    task := task || jsonb_build_object(
      'sandbox', jsonb_build_object(
        'tools', to_jsonb(v_tools), 'permission_mode', v_mode,
        'limits', (SELECT jsonb_build_object('memory_mb', s.task_memory_mb,
                                             'max_processes', s.task_max_processes,
                                             'cpu_seconds', s.task_cpu_seconds,
                                             'disk_mb', s.task_disk_mb)
                     FROM instance_settings s WHERE s.id)),
      'repository', (SELECT jsonb_build_object('id', r.id, 'name', r.name, 'source', r.source,
                                               'default_ref', r.default_ref)
                       FROM team_repositories r
                      WHERE r.team_id = t.team_id
                        AND r.id::text = t.options->>'repositoryId'));
  END IF;
  outcome := 'started';
  RETURN NEXT;
END
$fn$;
--> statement-breakpoint
-- Settles an attempt: appends its remaining events (p_events: [{seq, attempt, type, data, at}]),
-- saves its session (p_session: {backend, model, config, messageCount, inputTokens, outputTokens,
-- cacheWriteTokens, cacheReadTokens, summary, state}), and moves the task to p_status: a terminal
-- status is written once (the first caller wins), 'queued' puts a running task back for a retry,
-- NULL leaves the status alone; the session's state follows the task's (active, idle, closed,
-- failed: see baton_session_state). Returns whether the status changed; wakes consoles streaming it.
-- Fenced by p_attempt (when given): an attempt that is no longer the task's latest — its worker
-- stalled past its heartbeat and the task was started again elsewhere — writes nothing (no events,
-- no session, no status) and gets false; its usage, which the provider billed, is the caller's.
DROP FUNCTION IF EXISTS baton_task_settle(uuid, text, text, text, jsonb, jsonb, jsonb);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION baton_task_settle(
  p_task uuid, p_status text, p_reason text, p_result text, p_error jsonb, p_events jsonb,
  p_session jsonb, p_attempt int DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
  v_made boolean := false;
  v_root uuid;
BEGIN
  IF p_attempt IS NOT NULL THEN
    -- Locked: a start elsewhere (attempts+1) waits until this settle is done, or went first.
    PERFORM 1 FROM tasks t WHERE t.id = p_task AND t.attempts = p_attempt FOR UPDATE;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
  END IF;
  IF p_events IS NOT NULL AND jsonb_array_length(p_events) > 0 THEN
    INSERT INTO task_events (task_id, seq, attempt, type, data, created_at)
    SELECT p_task, e.seq, e.attempt, e.type, coalesce(e.data, '{}'::jsonb), coalesce(e.at, now())
      FROM jsonb_to_recordset(p_events) AS e(seq int, attempt int, type text, data jsonb, at timestamptz)
    ON CONFLICT (task_id, seq) DO NOTHING;
  END IF;
  IF p_status = 'queued' THEN
    UPDATE tasks SET status = 'queued', status_reason = p_reason, updated_at = now()
     WHERE id = p_task AND status IN ('queued', 'running');
    v_made := FOUND;
  ELSIF p_status IS NOT NULL THEN
    UPDATE tasks SET status = p_status::task_status, status_reason = p_reason,
           result = coalesce(p_result, result), error = p_error, finished_at = now(), updated_at = now()
     WHERE id = p_task AND NOT baton_task_is_terminal(status)
    RETURNING root_task_id INTO v_root;
    v_made := FOUND;
    -- A tree's root ended: the tree follows (read from the row just written, no lookup more for
    -- an ordinary task). Another agent of a tree ending only frees its slot of max_concurrent,
    -- which is counted from the tasks running.
    IF v_root = p_task THEN
      PERFORM baton_tree_root_ended(p_task, p_status, p_reason);
    END IF;
  END IF;
  -- The session after the status: its state is the task's as it now stands (baton_session_state;
  -- a terminal status another caller wrote first is the one that counts).
  IF p_session IS NOT NULL THEN
    INSERT INTO claude_sessions (team_id, task_id, backend, provider_session_id, state, model, config,
                                 message_count, input_tokens, output_tokens, cache_write_tokens,
                                 cache_read_tokens, context_summary, state_blob, updated_at, last_used_at)
    SELECT t.team_id, t.id, (p_session->>'backend')::backend, p_task::text, baton_session_state(t.status),
           p_session->>'model', coalesce(p_session->'config', '{}'::jsonb),
           coalesce((p_session->>'messageCount')::int, 0), coalesce((p_session->>'inputTokens')::int, 0),
           coalesce((p_session->>'outputTokens')::int, 0),
           coalesce((p_session->>'cacheWriteTokens')::int, 0),
           coalesce((p_session->>'cacheReadTokens')::int, 0), p_session->>'summary',
           p_session->'state', now(), now()
      FROM tasks t WHERE t.id = p_task
    ON CONFLICT (backend, provider_session_id) DO UPDATE SET
      state = excluded.state, model = excluded.model, config = excluded.config,
      message_count = excluded.message_count, input_tokens = excluded.input_tokens,
      output_tokens = excluded.output_tokens, cache_write_tokens = excluded.cache_write_tokens,
      cache_read_tokens = excluded.cache_read_tokens, context_summary = excluded.context_summary,
      state_blob = excluded.state_blob, updated_at = now(), last_used_at = now();
  ELSE
    UPDATE claude_sessions s SET state = baton_session_state(t.status), updated_at = now()
      FROM tasks t
     WHERE t.id = p_task AND s.backend IN ('api', 'claude-code') AND s.provider_session_id = p_task::text
       AND s.state IS DISTINCT FROM baton_session_state(t.status);
  END IF;
  PERFORM pg_notify('baton_task_events', p_task::text);
  RETURN v_made;
END
$fn$;
