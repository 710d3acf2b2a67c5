CREATE TABLE "checklist_ticks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"plan_id" uuid NOT NULL,
	"checklist" text NOT NULL,
	"item" text NOT NULL,
	"ticked_by" text NOT NULL,
	"evidence" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "release_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"type" text NOT NULL,
	"planned_at" timestamp with time zone NOT NULL,
	"requested_by" text NOT NULL,
	"channel_id" text NOT NULL,
	"thread_ts" text,
	"state" text NOT NULL,
	"plan" jsonb,
	"notes" text,
	"release_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduled_runs" (
	"key" text PRIMARY KEY NOT NULL,
	"plan_id" uuid,
	"due_at" timestamp with time zone NOT NULL,
	"ran_at" timestamp with time zone DEFAULT now() NOT NULL,
	"outcome" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checklist_ticks" ADD CONSTRAINT "checklist_ticks_plan_id_release_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."release_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_plans" ADD CONSTRAINT "release_plans_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduled_runs" ADD CONSTRAINT "scheduled_runs_plan_id_release_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."release_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "checklist_ticks_once" ON "checklist_ticks" USING btree ("plan_id","checklist","item");--> statement-breakpoint
CREATE UNIQUE INDEX "release_plans_version_unique" ON "release_plans" USING btree ("version");