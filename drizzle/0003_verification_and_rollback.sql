CREATE TABLE "breaches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"release_id" uuid NOT NULL,
	"check" text NOT NULL,
	"severity" text NOT NULL,
	"value" double precision,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "releases_one_in_flight";--> statement-breakpoint
DROP INDEX "releases_one_open_planned";--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "rollback" jsonb;--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "stable_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "breaches" ADD CONSTRAINT "breaches_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "breaches_one_open_per_check" ON "breaches" USING btree ("release_id","check") WHERE resolved_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_in_flight" ON "releases" USING btree ((true)) WHERE state in ('started', 'tagged', 'deploying', 'awaiting_production_approval', 'rolling_back');--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_open_planned" ON "releases" USING btree ((true)) WHERE type <> 'hotfix' and state in ('awaiting_approval', 'started', 'tagged', 'deploying', 'awaiting_production_approval', 'rolling_back');