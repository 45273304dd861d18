CREATE TABLE "usage_error_rollup_hour" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"error_type" text NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_error_rollup_hour_team_id_bucket_error_type_model_backend_user_id_pk" PRIMARY KEY("team_id","bucket","error_type","model","backend","user_id")
);
--> statement-breakpoint
CREATE TABLE "usage_rollup_day" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_5m_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_1h_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 10) DEFAULT '0' NOT NULL,
	"latency_count" bigint DEFAULT 0 NOT NULL,
	"latency_ms_sum" bigint DEFAULT 0 NOT NULL,
	"ttft_count" bigint DEFAULT 0 NOT NULL,
	"ttft_ms_sum" bigint DEFAULT 0 NOT NULL,
	"latency_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	"ttft_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	CONSTRAINT "usage_rollup_day_team_id_bucket_model_backend_user_id_pk" PRIMARY KEY("team_id","bucket","model","backend","user_id")
);
--> statement-breakpoint
CREATE TABLE "usage_rollup_hour" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_5m_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_1h_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 10) DEFAULT '0' NOT NULL,
	"latency_count" bigint DEFAULT 0 NOT NULL,
	"latency_ms_sum" bigint DEFAULT 0 NOT NULL,
	"ttft_count" bigint DEFAULT 0 NOT NULL,
	"ttft_ms_sum" bigint DEFAULT 0 NOT NULL,
	"latency_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	"ttft_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	CONSTRAINT "usage_rollup_hour_team_id_bucket_model_backend_user_id_pk" PRIMARY KEY("team_id","bucket","model","backend","user_id")
);
--> statement-breakpoint
CREATE TABLE "usage_rollup_minute" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_5m_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_1h_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 10) DEFAULT '0' NOT NULL,
	"latency_count" bigint DEFAULT 0 NOT NULL,
	"latency_ms_sum" bigint DEFAULT 0 NOT NULL,
	"ttft_count" bigint DEFAULT 0 NOT NULL,
	"ttft_ms_sum" bigint DEFAULT 0 NOT NULL,
	"latency_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	"ttft_hist" integer[] DEFAULT '{}'::int[] NOT NULL,
	CONSTRAINT "usage_rollup_minute_team_id_bucket_model_backend_user_id_pk" PRIMARY KEY("team_id","bucket","model","backend","user_id")
);
--> statement-breakpoint
CREATE TABLE "usage_task_rollup" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 10) DEFAULT '0' NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "usage_error_rollup_hour" ADD CONSTRAINT "usage_error_rollup_hour_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollup_day" ADD CONSTRAINT "usage_rollup_day_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollup_hour" ADD CONSTRAINT "usage_rollup_hour_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollup_minute" ADD CONSTRAINT "usage_rollup_minute_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_task_rollup" ADD CONSTRAINT "usage_task_rollup_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_task_rollup" ADD CONSTRAINT "usage_task_rollup_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_task_rollup_team_first_idx" ON "usage_task_rollup" USING btree ("team_id","first_at");