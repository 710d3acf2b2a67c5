-- Every change to releases tells the other tminus processes at commit (one notification per transaction:
-- Postgres folds identical ones): their `/release status` caches clear on it (release-cache.ts).
CREATE OR REPLACE FUNCTION tminus_releases_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tminus_releases', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER releases_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON releases
  FOR EACH STATEMENT EXECUTE FUNCTION tminus_releases_notify();
