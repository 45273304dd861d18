CREATE TABLE "agent_board_posts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"root_task_id" uuid NOT NULL,
	"task_id" uuid,
	"round" integer DEFAULT 1 NOT NULL,
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_board_kind" CHECK ("agent_board_posts"."kind" in ('finding', 'vote', 'goal_met', 'note')),
	CONSTRAINT "agent_board_body" CHECK (length("agent_board_posts"."body") between 1 and 20000)
);
--> statement-breakpoint
CREATE TABLE "mcp_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"team_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_by" text,
	"root_task_id" uuid,
	"task_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "mcp_tokens_name" CHECK (length("mcp_tokens"."name") between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "task_inputs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" uuid NOT NULL,
	"message" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"consumed_at" timestamp with time zone,
	CONSTRAINT "task_inputs_message" CHECK (length("task_inputs"."message") between 1 and 100000)
);
--> statement-breakpoint
CREATE TABLE "task_trees" (
	"root_task_id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"strategy" text DEFAULT 'hierarchical' NOT NULL,
	"goal" text,
	"max_agents" integer NOT NULL,
	"max_depth" integer NOT NULL,
	"max_concurrent" integer NOT NULL,
	"budget_usd" numeric(14, 6),
	"budget_tokens" bigint,
	"max_rounds" integer,
	"agents" integer DEFAULT 1 NOT NULL,
	"spent_usd" numeric(16, 10) DEFAULT '0' NOT NULL,
	"spent_tokens" bigint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"stop_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_trees_strategy" CHECK ("task_trees"."strategy" in ('hierarchical', 'mesh')),
	CONSTRAINT "task_trees_status" CHECK ("task_trees"."status" in ('running', 'succeeded', 'failed', 'cancelled', 'budget_exceeded')),
	CONSTRAINT "task_trees_limits_positive" CHECK ("task_trees"."max_agents" >= 1 and "task_trees"."max_depth" >= 0 and "task_trees"."max_concurrent" >= 1),
	CONSTRAINT "task_trees_budget_positive" CHECK ("task_trees"."budget_usd" is null or "task_trees"."budget_usd" > 0),
	CONSTRAINT "task_trees_tokens_positive" CHECK ("task_trees"."budget_tokens" is null or "task_trees"."budget_tokens" > 0)
);
--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "root_task_id" uuid;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "role" text;--> statement-breakpoint
ALTER TABLE "agent_board_posts" ADD CONSTRAINT "agent_board_posts_root_task_id_tasks_id_fk" FOREIGN KEY ("root_task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_board_posts" ADD CONSTRAINT "agent_board_posts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_tokens" ADD CONSTRAINT "mcp_tokens_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_tokens" ADD CONSTRAINT "mcp_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_tokens" ADD CONSTRAINT "mcp_tokens_root_task_id_tasks_id_fk" FOREIGN KEY ("root_task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_tokens" ADD CONSTRAINT "mcp_tokens_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_inputs" ADD CONSTRAINT "task_inputs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_inputs" ADD CONSTRAINT "task_inputs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_trees" ADD CONSTRAINT "task_trees_root_task_id_tasks_id_fk" FOREIGN KEY ("root_task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_trees" ADD CONSTRAINT "task_trees_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_board_root_idx" ON "agent_board_posts" USING btree ("root_task_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_tokens_hash_key" ON "mcp_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "mcp_tokens_team_idx" ON "mcp_tokens" USING btree ("team_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "task_inputs_pending_idx" ON "task_inputs" USING btree ("task_id","id") WHERE "task_inputs"."consumed_at" is null;--> statement-breakpoint
CREATE INDEX "task_trees_team_idx" ON "task_trees" USING btree ("team_id","created_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_root_task_id_tasks_id_fk" FOREIGN KEY ("root_task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_root_idx" ON "tasks" USING btree ("root_task_id") WHERE "tasks"."root_task_id" is not null;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_depth_nonnegative" CHECK ("tasks"."depth" >= 0);