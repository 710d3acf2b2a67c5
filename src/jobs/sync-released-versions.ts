import { parseVersion } from '../domain/version.js';
import type { JobContext } from './context.js';

export const TAGS_SYNC_KEY = 'github-tags';

/** Reads the repository's version tags into Postgres, so `/release start` can judge a version without calling GitHub. */
export async function syncReleasedVersions(ctx: JobContext): Promise<void> {
  const tags = await ctx.github.listTags();
  const versions = tags.flatMap((tag) => {
    const parsed = parseVersion(tag.name);
    return parsed.ok ? [{ version: parsed.version.tag, sha: tag.sha, source: 'github-tag' }] : [];
  });
  // A tag that an in-flight release just created is that release's, not an earlier release.
  const inFlight = new Set((await ctx.store.inFlight()).map((r) => r.version));
  await ctx.store.recordReleasedVersions(versions.filter((v) => !inFlight.has(v.version)));
  await ctx.store.markSynced(TAGS_SYNC_KEY, { tags: versions.length });
}
