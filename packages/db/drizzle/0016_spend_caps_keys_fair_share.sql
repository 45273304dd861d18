ALTER TYPE "public"."task_status" ADD VALUE 'budget_exceeded';--> statement-breakpoint
CREATE TABLE "spend_caps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"team_id" uuid,
	"user_id" text,
	"period" text NOT NULL,
	"usd" numeric(14, 4) NOT NULL,
	"set_by_operator" boolean DEFAULT false NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "spend_caps_key" UNIQUE NULLS NOT DISTINCT("scope","team_id","user_id","period","set_by_operator"),
	CONSTRAINT "spend_caps_scope" CHECK ("spend_caps"."scope" in ('instance', 'team', 'user')),
	CONSTRAINT "spend_caps_period" CHECK ("spend_caps"."period" in ('daily', 'weekly', 'monthly')),
	CONSTRAINT "spend_caps_usd_positive" CHECK ("spend_caps"."usd" > 0),
	CONSTRAINT "spend_caps_scope_keys" CHECK (("spend_caps"."scope" = 'instance' and "spend_caps"."team_id" is null and "spend_caps"."user_id" is null)
       or ("spend_caps"."scope" = 'team' and "spend_caps"."team_id" is not null and "spend_caps"."user_id" is null)
       or ("spend_caps"."scope" = 'user' and "spend_caps"."team_id" is not null and "spend_caps"."user_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "spend_daily" (
	"team_id" uuid NOT NULL,
	"user_id" text DEFAULT '' NOT NULL,
	"day" date NOT NULL,
	"usd" numeric(20, 10) DEFAULT '0' NOT NULL,
	CONSTRAINT "spend_daily_team_id_user_id_day_pk" PRIMARY KEY("team_id","user_id","day")
);
--> statement-breakpoint
ALTER TABLE "alerts" ALTER COLUMN "rule_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ALTER COLUMN "team_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "max_concurrent_ceiling" integer DEFAULT 8 NOT NULL;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "allow_instance_key" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "share_weight" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "cap_id" uuid;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "threshold_pct" integer;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "period_start" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "spend_caps" ADD CONSTRAINT "spend_caps_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_caps" ADD CONSTRAINT "spend_caps_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_caps" ADD CONSTRAINT "spend_caps_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_daily" ADD CONSTRAINT "spend_daily_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "spend_caps_team_idx" ON "spend_caps" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "spend_daily_day_idx" ON "spend_daily" USING btree ("day");--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_cap_id_spend_caps_id_fk" FOREIGN KEY ("cap_id") REFERENCES "public"."spend_caps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_cap_once_per_period" ON "alerts" USING btree ("cap_id","threshold_pct","period_start") WHERE "alerts"."cap_id" is not null;--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_share_weight_range" CHECK ("teams"."share_weight" between 1 and 100);--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_max_concurrent_ceiling_positive" CHECK ("teams"."max_concurrent_ceiling" > 0);--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_or_cap" CHECK (("alerts"."rule_id" is not null and "alerts"."cap_id" is null and "alerts"."team_id" is not null) or ("alerts"."rule_id" is null and "alerts"."cap_id" is not null));--> statement-breakpoint
-- A team's monthly budget becomes its monthly team cap (then enforced, not only shown).
INSERT INTO "spend_caps" ("scope", "team_id", "period", "usd")
SELECT 'team', "id", 'monthly', "monthly_budget_usd" FROM "teams"
 WHERE "monthly_budget_usd" IS NOT NULL AND "monthly_budget_usd" > 0
ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Teams that exist already used the instance key: they keep it (new ones start without).
UPDATE "teams" SET "allow_instance_key" = true;
--> statement-breakpoint
-- What was spent so far, per team, user and UTC day.
INSERT INTO "spend_daily" ("team_id", "user_id", "day", "usd")
SELECT "team_id", coalesce("user_id", ''), ("created_at" AT TIME ZONE 'UTC')::date, sum("cost_usd")
  FROM "usage_events" GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
