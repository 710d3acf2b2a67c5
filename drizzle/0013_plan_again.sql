DROP INDEX "release_plans_version_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "release_plans_version_unique" ON "release_plans" USING btree ("version") WHERE state <> 'cancelled';