import { productionVersion } from '../../domain/production.js';
import { isReleaseState } from '../../domain/release.js';
import type { Version } from '../../domain/version.js';
import type { Database } from './client.js';
import type { Executor, ReleaseStore } from './release-store.js';
import { releasedVersions, releases } from './schema.js';

/** What production runs, and which versions are taken. */
export interface ProductionVersions {
  productionVersion(ex?: Executor): Promise<Version | undefined>;
  knownVersions(): Promise<Set<string>>;
}

/** Production history from tminus's releases and the repository's tags, in Postgres. */
export class ProductionHistory implements ProductionVersions {
  constructor(private readonly db: Database) {}

  /** The version production runs now (see the domain's `productionVersion`); `ex` reads under a caller's lock. */
  async productionVersion(ex: Executor = this.db): Promise<Version | undefined> {
    const rows = await ex
      .select({ version: releases.version, state: releases.state, startedAt: releases.startedAt, finishedAt: releases.finishedAt, backport: releases.backport })
      .from(releases);
    const tags = await ex.select({ version: releasedVersions.version, recordedAt: releasedVersions.recordedAt }).from(releasedVersions);
    return productionVersion({ releases: rows.flatMap((r) => (isReleaseState(r.state) ? [{ ...r, state: r.state, backport: r.backport !== null }] : [])), tags });
  }

  /** Every version that can no longer be released: each tag, and each release tminus has, whatever its state. */
  async knownVersions(): Promise<Set<string>> {
    const rows = await this.db.select({ version: releases.version }).from(releases);
    const tags = await this.db.select({ version: releasedVersions.version }).from(releasedVersions);
    return new Set([...rows, ...tags].map((r) => r.version));
  }
}

/** The production history a service reads: the one it was given, else one over its release store. */
export function productionOf(deps: { store: ReleaseStore; production?: ProductionVersions }): ProductionVersions {
  return deps.production ?? productionThroughStore(deps.store);
}

/**
 * The same answers through the release store alone, for a caller not given a ProductionHistory: one query
 * per tag, every tag is taken to predate tminus, and the known versions are the tags only.
 */
function productionThroughStore(store: ReleaseStore): ProductionVersions {
  return {
    async productionVersion() {
      const tags = await store.releasedVersions();
      const known = await Promise.all(tags.map((version) => store.findByVersion(version)));
      const recordedAt = new Date(0);
      return productionVersion({ releases: known.filter((r) => r !== undefined).map((r) => ({ ...r, backport: r.backport !== null })), tags: tags.map((version) => ({ version, recordedAt })) });
    },
    async knownVersions() {
      return new Set(await store.releasedVersions());
    },
  };
}
