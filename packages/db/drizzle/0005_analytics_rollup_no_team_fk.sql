ALTER TABLE "usage_error_rollup_hour" DROP CONSTRAINT "usage_error_rollup_hour_team_id_teams_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_rollup_day" DROP CONSTRAINT "usage_rollup_day_team_id_teams_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_rollup_hour" DROP CONSTRAINT "usage_rollup_hour_team_id_teams_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_rollup_minute" DROP CONSTRAINT "usage_rollup_minute_team_id_teams_id_fk";
--> statement-breakpoint
CREATE INDEX "usage_task_rollup_team_cost_idx" ON "usage_task_rollup" USING btree ("team_id","cost_usd" DESC NULLS LAST);