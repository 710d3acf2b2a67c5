CREATE TABLE "plan_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"plan_id" uuid NOT NULL,
	"version" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approval_gates" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "deploy_run_attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "plan_events_plan_idx" ON "plan_events" USING btree ("plan_id","id");--> statement-breakpoint
-- The plans' audit log is append-only too.
CREATE FUNCTION plan_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'plan_events is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER plan_events_no_update_or_delete
  BEFORE UPDATE OR DELETE ON plan_events
  FOR EACH ROW EXECUTE FUNCTION plan_events_append_only();
