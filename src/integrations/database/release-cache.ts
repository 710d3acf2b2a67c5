import type { Logger } from 'pino';
import type { DatabaseHandle } from './client.js';
import type { Listening } from './notifications.js';
import type { Release, ReleaseStore } from './release-store.js';

/** The channel drizzle/0014_releases_notify.sql notifies on every change to `releases`. */
export const RELEASES_NOTIFY_CHANNEL = 'tminus_releases';

/** The reads `/release status` makes. */
export type StatusReads = Pick<ReleaseStore, 'inFlightOrLatest' | 'findByVersion'>;

/** Named versions kept at most: `/release status v9.9.9` typed by anyone must not grow memory for ever. */
const MAX_ENTRIES = 200;

interface Entry {
  generation: number;
  pending: Promise<Release | undefined>;
  kept?: { release: Release | undefined };
}

/**
 * The release rows `/release status` shows, kept in memory while Postgres can tell us they changed. Cleared on
 * every NOTIFY from the `releases` trigger (other processes' writes) and on this process's own writes (at
 * once, after their commit). A read keeps its answer only if nothing changed since it began (the generation
 * counter), and while LISTEN is down every read goes to Postgres. Rows, not messages: the answer shows times
 * relative to now. Decisions (starts, approvals, rollbacks) never read from here; they read under row locks.
 */
export class ReleaseCache implements StatusReads {
  private generation = 0;
  private live = false;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly reads: StatusReads) {}

  /** A cache of `store`'s status reads, cleared by its writes and by the database's notifications. */
  static async open(options: { store: ReleaseStore; database: Pick<DatabaseHandle, 'listen'>; log: Logger }): Promise<{ cache: ReleaseCache; close(): Promise<void> }> {
    const cache = new ReleaseCache(options.store);
    const stopClearing = options.store.onWrite(() => cache.clear());
    const listening = await cache.listen(options.database, options.log);
    return {
      cache,
      close: async () => {
        stopClearing();
        await listening.close();
      },
    };
  }

  inFlightOrLatest(): Promise<Release | undefined> {
    return this.read('latest', () => this.reads.inFlightOrLatest());
  }

  findByVersion(version: string): Promise<Release | undefined> {
    return this.read(`version:${version}`, () => this.reads.findByVersion(version));
  }

  /** Forgets everything, and every read under way will not keep what it finds. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Whether answers may come from memory (LISTEN is in place). */
  get isLive(): boolean {
    return this.live;
  }

  /** Clears on each notification; off (reading through) whenever LISTEN is not in place. */
  async listen(database: Pick<DatabaseHandle, 'listen'>, log: Logger): Promise<Listening> {
    return database.listen(RELEASES_NOTIFY_CHANNEL, {
      notified: () => this.clear(),
      down: () => {
        if (this.live) log.warn('status cache off: the LISTEN connection to the database dropped');
        this.live = false;
        this.clear();
      },
      up: () => {
        // Changes made while deaf went unheard: start empty.
        this.clear();
        if (!this.live) log.debug('status cache on: listening to the database');
        this.live = true;
      },
    });
  }

  private async read(key: string, load: () => Promise<Release | undefined>): Promise<Release | undefined> {
    if (!this.live) return load();
    const found = this.entries.get(key);
    if (found && found.generation === this.generation) return found.kept ? found.kept.release : found.pending;
    // Concurrent misses of this generation share one query; a read begun before a change is never joined.
    const entry: Entry = { generation: this.generation, pending: load() };
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
    try {
      const release = await entry.pending;
      if (this.live && entry.generation === this.generation && this.entries.get(key) === entry) entry.kept = { release };
      return release;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }
}
