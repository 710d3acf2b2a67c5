CREATE TABLE "approval_gates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"rule" jsonb NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"environment_id" bigint,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"gate_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"decision" text NOT NULL,
	"roles" jsonb NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "releases_one_in_flight";--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "hotfix" jsonb;--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "requested_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "approval_gates" ADD CONSTRAINT "approval_gates_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_gate_id_approval_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."approval_gates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_gates_release_kind" ON "approval_gates" USING btree ("release_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_gate_user" ON "approvals" USING btree ("gate_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_open_planned" ON "releases" USING btree ((true)) WHERE type <> 'hotfix' and state in ('awaiting_approval', 'started', 'tagged', 'deploying', 'awaiting_production_approval');--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_in_flight" ON "releases" USING btree ((true)) WHERE state in ('started', 'tagged', 'deploying', 'awaiting_production_approval');