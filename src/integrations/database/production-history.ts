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
  /** Both, from one read of the history: what a start, a hotfix or a plan judges a version against. */
  versions(): Promise<{ production: Version | undefined; known: Set<string> }>;
}

/** Production history from tminus's releases and the repository's tags, in Postgres. */
export class ProductionHistory implements ProductionVersions {
  constructor(private readonly db: Database) {}

  /** The version production runs now (see the domain's `productionVersion`); `ex` reads under a caller's lock. */
  async productionVersion(ex: Executor = this.db): Promise<Version | undefined> {
    return (await this.history(ex)).production;
  }

  /** Every version that can no longer be released: each tag, and each release tminus has, whatever its state. */
  async knownVersions(): Promise<Set<string>> {
    return (await this.history(this.db)).known;
  }

  versions(): Promise<{ production: Version | undefined; known: Set<string> }> {
    return this.history(this.db);
  }

  /** The releases and the tags, read together (one round trip each, side by side). */
  private async history(ex: Executor): Promise<{ production: Version | undefined; known: Set<string> }> {
    const [rows, tags] = await Promise.all([
      ex.select({ version: releases.version, state: releases.state, startedAt: releases.startedAt, finishedAt: releases.finishedAt, backport: releases.backport }).from(releases),
      ex.select({ version: releasedVersions.version, recordedAt: releasedVersions.recordedAt }).from(releasedVersions),
    ]);
    return {
      production: productionVersion({ releases: rows.flatMap((r) => (isReleaseState(r.state) ? [{ ...r, state: r.state, backport: r.backport !== null }] : [])), tags }),
      known: new Set([...rows, ...tags].map((r) => r.version)),
    };
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
    async versions() {
      const [production, known] = await Promise.all([this.productionVersion(), this.knownVersions()]);
      return { production, known };
    },
  };
}
