-- The audit log is append-only: Postgres itself refuses to change or remove what was recorded.
CREATE FUNCTION release_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'release_events is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER release_events_no_update_or_delete
  BEFORE UPDATE OR DELETE ON release_events
  FOR EACH ROW EXECUTE FUNCTION release_events_append_only();
