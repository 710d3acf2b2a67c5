CREATE TABLE "release_changes" (
	"release_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"first_commit_at" timestamp with time zone NOT NULL,
	"merged_at" timestamp with time zone,
	"merge_sha" text
);
--> statement-breakpoint
ALTER TABLE "release_changes" ADD CONSTRAINT "release_changes_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "release_changes_release_number" ON "release_changes" USING btree ("release_id","number");