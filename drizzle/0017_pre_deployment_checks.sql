CREATE TABLE "pre_deployment_checks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"gate_id" uuid NOT NULL,
	"item" text NOT NULL,
	"ticked_by" text,
	"ticked_at" timestamp with time zone,
	"evidence" text,
	"reading" text,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "pre_deployment_checks" ADD CONSTRAINT "pre_deployment_checks_gate_id_approval_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."approval_gates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pre_deployment_checks_gate_item" ON "pre_deployment_checks" USING btree ("gate_id","item");