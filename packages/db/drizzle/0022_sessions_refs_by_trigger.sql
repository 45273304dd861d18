ALTER TABLE "claude_sessions" DROP CONSTRAINT "claude_sessions_team_id_teams_id_fk";
--> statement-breakpoint
ALTER TABLE "claude_sessions" DROP CONSTRAINT "claude_sessions_task_id_tasks_id_fk";
