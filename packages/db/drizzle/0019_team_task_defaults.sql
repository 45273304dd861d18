ALTER TABLE "teams" ADD COLUMN "default_task_budget_usd" numeric(14, 6);--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "default_max_turns" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "default_timeout_ms" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_default_task_budget_positive" CHECK ("teams"."default_task_budget_usd" is null or "teams"."default_task_budget_usd" > 0);--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_default_max_turns_range" CHECK ("teams"."default_max_turns" is null or "teams"."default_max_turns" between 1 and 1000);--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_default_timeout_range" CHECK ("teams"."default_timeout_ms" is null or "teams"."default_timeout_ms" between 1000 and 86400000);