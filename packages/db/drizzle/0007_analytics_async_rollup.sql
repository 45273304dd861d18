CREATE TABLE "usage_task_cost_day" (
	"day" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"backend" "backend" NOT NULL,
	"bucket" integer NOT NULL,
	"tasks" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 10) DEFAULT '0' NOT NULL,
	CONSTRAINT "usage_task_cost_day_team_id_day_bucket_model_backend_user_id_pk" PRIMARY KEY("team_id","day","bucket","model","backend","user_id")
);
--> statement-breakpoint
ALTER TABLE "usage_task_rollup" ADD COLUMN "prev_cost_usd" numeric(24, 10);--> statement-breakpoint
ALTER TABLE "usage_task_rollup" ADD COLUMN "prev_first_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "rolled_up" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_events_not_rolled_up_idx" ON "usage_events" USING btree ("id") WHERE not "usage_events"."rolled_up";