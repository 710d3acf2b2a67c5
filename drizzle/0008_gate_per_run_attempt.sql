DROP INDEX "approval_gates_release_kind";--> statement-breakpoint
ALTER TABLE "approval_gates" ADD COLUMN "run_attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_gates_release_kind_attempt" ON "approval_gates" USING btree ("release_id","kind","run_attempt");