CREATE TABLE "release_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"release_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "released_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"sha" text,
	"source" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"type" text NOT NULL,
	"state" text NOT NULL,
	"previous_version" text,
	"requested_by" text NOT NULL,
	"request_id" text,
	"channel_id" text NOT NULL,
	"thread_ts" text,
	"target_branch" text,
	"target_sha" text,
	"deploy_run_id" bigint,
	"deploy_run_url" text,
	"release_url" text,
	"progress" jsonb,
	"github_unreachable_since" timestamp with time zone,
	"failure_reason" text,
	"started_at" timestamp with time zone NOT NULL,
	"tagged_at" timestamp with time zone,
	"deploy_started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_posts" (
	"key" text PRIMARY KEY NOT NULL,
	"release_id" uuid,
	"channel_id" text NOT NULL,
	"thread_ts" text,
	"ts" text,
	"content_hash" text,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"posted_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "release_events" ADD CONSTRAINT "release_events_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slack_posts" ADD CONSTRAINT "slack_posts_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_events_release_idx" ON "release_events" USING btree ("release_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_version_unique" ON "releases" USING btree ("version");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_request_id_unique" ON "releases" USING btree ("request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_in_flight" ON "releases" USING btree ((true)) WHERE state in ('started', 'tagged', 'deploying');--> statement-breakpoint
CREATE INDEX "slack_posts_release_idx" ON "slack_posts" USING btree ("release_id");