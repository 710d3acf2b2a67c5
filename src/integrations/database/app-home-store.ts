import { asc, desc, eq, like } from 'drizzle-orm';
import type { Database } from './client.js';
import { approvalGates, releases, syncState } from './schema.js';

/** Who opened tminus's Home tab, and when; kept as small facts in `sync_state` (`app-home:<user id>`). */
const PREFIX = 'app-home:';

export interface HomeViewer {
  userId: string;
  openedAt: Date;
  /** A digest of the blocks last published to them: an unchanged Home is not published again. */
  publishedHash?: string;
}

/** A release as the Home's "last ten" lists it. */
export interface ReleaseOutcome {
  id: string;
  version: string;
  type: string;
  state: string;
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  completedAt: Date | null;
}

/** The App Home's own reads and writes: its viewers, and the latest releases with their outcome. */
export class AppHomeStore {
  constructor(private readonly db: Database) {}

  async opened(userId: string, at: Date): Promise<void> {
    const viewer = await this.viewer(userId);
    await this.write({ userId, openedAt: at, ...(viewer?.publishedHash ? { publishedHash: viewer.publishedHash } : {}) });
  }

  async published(userId: string, hash: string): Promise<void> {
    const viewer = await this.viewer(userId);
    if (viewer) await this.write({ ...viewer, publishedHash: hash });
  }

  async viewer(userId: string): Promise<HomeViewer | undefined> {
    const rows = await this.db.select().from(syncState).where(eq(syncState.key, `${PREFIX}${userId}`));
    return rows.map(toViewer).find((v) => v !== undefined);
  }

  /** Everyone who opened the Home since `since` (everyone when not given). */
  async viewers(since?: Date): Promise<HomeViewer[]> {
    const rows = await this.db.select().from(syncState).where(like(syncState.key, `${PREFIX}%`));
    return rows
      .map(toViewer)
      .filter((v): v is HomeViewer => v !== undefined && (!since || v.openedAt >= since))
      .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  }

  /** The latest releases (by T-0), whatever their outcome. */
  async lastReleases(limit: number): Promise<ReleaseOutcome[]> {
    return this.db
      .select({
        id: releases.id,
        version: releases.version,
        type: releases.type,
        state: releases.state,
        requestedBy: releases.requestedBy,
        startedAt: releases.startedAt,
        finishedAt: releases.finishedAt,
        completedAt: releases.completedAt,
      })
      .from(releases)
      .orderBy(desc(releases.startedAt))
      .limit(limit);
  }

  /** Every approval gate still open, oldest first: who may decide each is the approvals service's to say. */
  async openGates(): Promise<{ id: string; releaseId: string }[]> {
    return this.db.select({ id: approvalGates.id, releaseId: approvalGates.releaseId }).from(approvalGates).where(eq(approvalGates.state, 'open')).orderBy(asc(approvalGates.openedAt));
  }

  private async write(viewer: HomeViewer): Promise<void> {
    const value = { openedAt: viewer.openedAt.toISOString(), ...(viewer.publishedHash ? { publishedHash: viewer.publishedHash } : {}) };
    await this.db
      .insert(syncState)
      .values({ key: `${PREFIX}${viewer.userId}`, value })
      .onConflictDoUpdate({ target: syncState.key, set: { value } });
  }
}

function toViewer(row: { key: string; value: Record<string, unknown> }): HomeViewer | undefined {
  const openedAt = new Date(String(row.value.openedAt));
  if (Number.isNaN(openedAt.getTime())) return undefined;
  return { userId: row.key.slice(PREFIX.length), openedAt, ...(typeof row.value.publishedHash === 'string' ? { publishedHash: row.value.publishedHash } : {}) };
}
