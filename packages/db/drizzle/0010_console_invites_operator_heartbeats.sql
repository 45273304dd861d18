CREATE TABLE "worker_heartbeats" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone,
	"concurrency" integer DEFAULT 0 NOT NULL,
	"running" integer DEFAULT 0 NOT NULL,
	"breakers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"pool" jsonb
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "is_operator" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "invitations" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
-- An existing instance gets its operator: the first account created (the demo user on embedded defaults).
UPDATE "users" SET "is_operator" = true WHERE "id" = (SELECT "id" FROM "users" ORDER BY "created_at", "id" LIMIT 1) AND NOT EXISTS (SELECT 1 FROM "users" WHERE "is_operator");--> statement-breakpoint
-- Keep the newest open alert per rule, resolve older duplicates, so the unique index below can be built.
UPDATE "alerts" a SET "state" = 'resolved', "resolved_at" = now() WHERE a."state" = 'open' AND EXISTS (SELECT 1 FROM "alerts" b WHERE b."rule_id" = a."rule_id" AND b."state" = 'open' AND (b."triggered_at", b."id") > (a."triggered_at", a."id"));--> statement-breakpoint
CREATE INDEX "worker_heartbeats_last_seen_idx" ON "worker_heartbeats" USING btree ("last_seen_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_per_rule" ON "alerts" USING btree ("rule_id") WHERE "alerts"."state" = 'open';