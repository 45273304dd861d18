CREATE TABLE "instance_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"workspace_retention_days" integer DEFAULT 7 NOT NULL,
	"task_memory_mb" integer DEFAULT 2048 NOT NULL,
	"task_max_processes" integer DEFAULT 512 NOT NULL,
	"task_cpu_seconds" integer DEFAULT 1800 NOT NULL,
	"task_disk_mb" integer DEFAULT 2048 NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instance_settings_one_row" CHECK ("instance_settings"."id"),
	CONSTRAINT "instance_settings_limits_positive" CHECK ("instance_settings"."workspace_retention_days" between 1 and 3650 and "instance_settings"."task_memory_mb" between 64 and 1048576
        and "instance_settings"."task_max_processes" between 8 and 100000 and "instance_settings"."task_cpu_seconds" between 10 and 604800
        and "instance_settings"."task_disk_mb" between 16 and 10485760)
);
--> statement-breakpoint
CREATE TABLE "task_workspaces" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"repository_id" uuid,
	"repository_name" text,
	"ref" text,
	"base_commit" text,
	"worker_id" text NOT NULL,
	"sandbox" jsonb NOT NULL,
	"size_bytes" bigint DEFAULT 0 NOT NULL,
	"file_count" integer DEFAULT 0 NOT NULL,
	"files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"files_truncated" boolean DEFAULT false NOT NULL,
	"diff" text,
	"diff_truncated" boolean DEFAULT false NOT NULL,
	"archive" "bytea",
	"archive_bytes" bigint,
	"archive_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "team_repositories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"team_id" uuid NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"default_ref" text DEFAULT 'HEAD' NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "team_repositories_name_format" CHECK ("team_repositories"."name" ~ '^[a-z0-9][a-z0-9._-]{0,62}$')
);
--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "claude_code_tools" text[];--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "claude_code_permission_mode" text;--> statement-breakpoint
ALTER TABLE "instance_settings" ADD CONSTRAINT "instance_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_workspaces" ADD CONSTRAINT "task_workspaces_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_workspaces" ADD CONSTRAINT "task_workspaces_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_workspaces" ADD CONSTRAINT "task_workspaces_repository_id_team_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."team_repositories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_repositories" ADD CONSTRAINT "team_repositories_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_repositories" ADD CONSTRAINT "team_repositories_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_workspaces_team_idx" ON "task_workspaces" USING btree ("team_id","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "team_repositories_team_name_key" ON "team_repositories" USING btree ("team_id","name");--> statement-breakpoint
INSERT INTO "instance_settings" ("id") VALUES (true) ON CONFLICT DO NOTHING;
