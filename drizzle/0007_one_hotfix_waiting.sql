-- One hotfix waits for approval at a time. Installs that let several wait keep the newest; the older ones
-- end aborted, with the reason in their audit log and their gates closed, so the index below can hold.
WITH extra AS (
  SELECT id FROM releases WHERE type = 'hotfix' AND state = 'awaiting_approval' ORDER BY requested_at DESC OFFSET 1
), ended AS (
  UPDATE releases SET state = 'aborted', finished_at = now(), updated_at = now(),
    failure_reason = 'aborted by the upgrade to one hotfix waiting for approval at a time'
  WHERE id IN (SELECT id FROM extra) RETURNING id
)
INSERT INTO release_events (release_id, actor, action, details)
SELECT id, 'tminus', 'release.abort', '{"from":"awaiting_approval","to":"aborted","reason":"upgrade: one hotfix waits for approval at a time"}'::jsonb FROM ended;
--> statement-breakpoint
UPDATE approval_gates SET state = 'closed', decided_at = now(), outcome = 'Closed: the release is aborted.'
WHERE state = 'open' AND release_id IN (SELECT id FROM releases WHERE state = 'aborted');
--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_hotfix_waiting" ON "releases" USING btree ((true)) WHERE type = 'hotfix' and state = 'awaiting_approval';
