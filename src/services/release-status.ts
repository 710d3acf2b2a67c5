import { parseVersion } from '../domain/version.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';

export type StatusLookup = { ok: true; release: Release } | { ok: false; reason: string };

/** The release `/release status [version]` is about: the named one, else the one in flight, else the latest. */
export async function findReleaseForStatus(store: Pick<ReleaseStore, 'findByVersion' | 'inFlightOrLatest'>, versionText: string | undefined): Promise<StatusLookup> {
  if (versionText) {
    const parsed = parseVersion(versionText);
    if (!parsed.ok) return { ok: false, reason: `${parsed.reason}.` };
    const release = await store.findByVersion(parsed.version.tag);
    return release ? { ok: true, release } : { ok: false, reason: `tminus has no release ${parsed.version.tag}. Start one with \`/release start ${parsed.version.tag}\`.` };
  }
  const release = await store.inFlightOrLatest();
  return release ? { ok: true, release } : { ok: false, reason: 'No release yet. Start one with `/release start vX.Y.Z`.' };
}
