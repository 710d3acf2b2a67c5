CREATE INDEX "releases_started_at" ON "releases" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "releases_state" ON "releases" USING btree ("state");