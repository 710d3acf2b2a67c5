DROP INDEX "releases_one_in_flight";--> statement-breakpoint
DROP INDEX "releases_one_open_planned";--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "completed_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_in_flight" ON "releases" USING btree ((true)) WHERE state in ('started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back');--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_open_planned" ON "releases" USING btree ((true)) WHERE type <> 'hotfix' and state in ('awaiting_approval', 'started', 'tagged', 'deploying', 'awaiting_production_approval', 'verifying', 'rolling_back');--> statement-breakpoint
UPDATE "releases" SET "completed_at" = "finished_at" WHERE "state" IN ('completed', 'stable') AND "completed_at" IS NULL;
