import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { sql as drizzleSql } from 'drizzle-orm';
import { pino } from 'pino';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import type { NotificationHandlers } from '../../src/integrations/database/notifications.js';
import { ReleaseCache, RELEASES_NOTIFY_CHANNEL, type StatusReads } from '../../src/integrations/database/release-cache.js';
import { ReleaseStore, type Release } from '../../src/integrations/database/release-store.js';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, realClock, type Bot, type World } from '../support/harness.js';

const silent = pino({ level: 'silent' });

/**
 * `/release status` answers from memory (release-cache.ts) and is never stale: changes by another tminus
 * process arrive by NOTIFY, this process's own writes clear it at once, a read that raced a change keeps
 * nothing, and without LISTEN every answer reads Postgres.
 */
describe('/release status from memory, never stale', () => {
  let world: World;
  let bot: Bot;
  /** Another tminus instance's connection and store: its writes reach `bot` only through Postgres. */
  let other: DatabaseHandle;
  let otherStore: ReleaseStore;
  let sql: postgres.Sql;

  const status = async (text = 'status') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId: 'U0ENG' })).body as { text: string; blocks: unknown[] });
  /** A change no notification announces: only a read of Postgres can see it. */
  const silently = async <T>(change: () => Promise<T>): Promise<T> => {
    await sql`alter table releases disable trigger releases_notify`;
    try {
      return await change();
    } finally {
      await sql`alter table releases enable trigger releases_notify`;
    }
  };
  const setReason = (version: string, reason: string) => sql`update releases set failure_reason = ${reason} where version = ${version}`;

  /** A release that failed to start (so no job picks it up), created by the other instance. */
  async function failedRelease(version: string, reason: string, startedAt = new Date()): Promise<Release> {
    const created = await otherStore.create({ version, type: 'minor', previousVersion: 'v1.2.0', requestedBy: 'U0ENG', requestId: `req-${version}`, channelId: RELEASES_CHANNEL, startedAt });
    if (!created.ok) throw new Error(`could not create ${version}: ${created.conflict}`);
    const failed = await otherStore.apply(created.release.id, 'start_failed', { set: { failureReason: reason, finishedAt: new Date() } });
    if (!failed.ok) throw new Error(failed.reason);
    return failed.release;
  }

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world);
    other = await openDatabase({ url: world.databaseUrl, dataDir: '' });
    otherStore = new ReleaseStore(other.db, realClock);
    sql = postgres(world.databaseUrl, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await other?.close();
    await bot?.stop();
    await world?.close();
  });

  it('shows a release another instance started, once its notification arrives, and answers from memory meanwhile', async () => {
    expect(await status()).toContain('No release yet');
    await failedRelease('v1.3.0', 'the tag was refused');
    await waitFor('status to show v1.3.0', async () => (await status()).includes('Release v1.3.0: failed'), 5_000);
    expect(await status()).toContain('the tag was refused');
    expect(await status('status v1.3.0')).toContain('the tag was refused');

    // Unannounced, the change stays unseen: the answer comes from memory, not from Postgres.
    await silently(() => setReason('v1.3.0', 'changed behind tminus’s back'));
    expect(await status()).toContain('the tag was refused');
    expect(await status('status v1.3.0')).toContain('the tag was refused');

    // Another instance's write (or a direct SQL update) is announced, and status follows within a moment.
    await setReason('v1.3.0', 'GitHub answered 422');
    await waitFor('status to show the new reason', async () => (await status()).includes('GitHub answered 422'), 5_000);
    await waitFor('status v1.3.0 to show it', async () => (await status('status v1.3.0')).includes('GitHub answered 422'), 5_000);
  });

  it('shows a change this process made at once, without waiting for any notification', async () => {
    expect(await status()).toContain('GitHub answered 422');
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    // The trigger is off: only this process clearing its own cache after the commit can make the answer right.
    await silently(() => bot.tminus.store.update(release.id, { failureReason: 'the deploy workflow is missing' }));
    expect(await status()).toContain('the deploy workflow is missing');
    expect(await status('status v1.3.0')).toContain('the deploy workflow is missing');

    // A request and then a decision on it (what a click records), both in this process and unannounced.
    expect(await status('status v1.3.1')).toContain('tminus has no release v1.3.1');
    const requested = await silently(() =>
      bot.tminus.store.create(
        { version: 'v1.3.1', type: 'patch', previousVersion: 'v1.2.0', requestedBy: 'U0ENG', requestId: 'req-v1.3.1', channelId: RELEASES_CHANNEL, startedAt: new Date() },
        { rule: { roles: ['engineeringLead'], rule: 'any', approvers: 1 } },
      ),
    );
    expect(await status('status v1.3.1')).toContain('Release v1.3.1: waiting for approval');
    expect(await status()).toContain('Release v1.3.1: waiting for approval');
    if (!requested.ok) throw new Error(requested.conflict);
    await silently(() => bot.tminus.store.apply(requested.release.id, 'reject', { actor: 'U0LEAD' }));
    expect(await status('status v1.3.1')).toContain('Release v1.3.1: rejected');
    expect(await status()).toContain('Release v1.3.1: rejected');
  });

  it('a read that raced a notification answers what it read but never keeps it', async () => {
    await failedRelease('v1.4.0', 'first reason', new Date(Date.now() + 60_000));
    const store = new ReleaseStore(bot.database.db, realClock);
    let readDone!: () => void;
    const queried = new Promise<void>((resolve) => (readDone = resolve));
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    let slow = true;
    const loads = { latest: 0 };
    // A deliberately slow read: the query runs at once, its answer is held back until the test lets it go.
    const reads: StatusReads = {
      inFlightOrLatest: async () => {
        loads.latest++;
        const release = await store.inFlightOrLatest();
        if (slow) {
          slow = false;
          readDone();
          await held;
        }
        return release;
      },
      findByVersion: (version) => store.findByVersion(version),
    };
    const cache = new ReleaseCache(reads);
    const listening = await cache.listen(bot.database, silent);
    try {
      expect((await cache.findByVersion('v1.4.0'))?.failureReason).toBe('first reason');
      const racing = cache.inFlightOrLatest();
      await queried;
      await setReason('v1.4.0', 'second reason');
      // The other entry held the old row: it changes only when the notification has cleared the cache.
      await waitFor('the notification to reach the cache', async () => (await cache.findByVersion('v1.4.0'))?.failureReason === 'second reason', 5_000);
      letGo();
      expect((await racing)?.failureReason).toBe('first reason');

      const after = loads.latest;
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('second reason');
      expect(loads.latest).toBe(after + 1);
      // Now it is kept: the next answer comes from memory.
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('second reason');
      expect(loads.latest).toBe(after + 1);
    } finally {
      letGo();
      await listening.close();
    }
  });

  it('reads through while LISTEN is down, and caches again once it is back', async () => {
    const store = new ReleaseStore(bot.database.db, realClock);
    const transitions: string[] = [];
    let releaseUp: (() => void) | undefined;
    // The real connection and the real drop; only the "back" signal is held until the test has looked.
    const database: Pick<DatabaseHandle, 'listen'> = {
      listen: (channel: string, handlers: NotificationHandlers) =>
        bot.database.listen(channel, {
          notified: () => handlers.notified(),
          down: () => {
            transitions.push('down');
            handlers.down();
          },
          up: () => {
            transitions.push('up');
            if (transitions.length === 1) handlers.up();
            else releaseUp = () => handlers.up();
          },
        }),
    };
    const cache = new ReleaseCache(store);
    const listening = await cache.listen(database, silent);
    try {
      expect(cache.isLive).toBe(true);
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('second reason');
      await silently(() => setReason('v1.4.0', 'unannounced'));
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('second reason');

      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike ${`listen%${RELEASES_NOTIFY_CHANNEL}%`}`;
      await waitFor('the LISTEN connection to be back', () => releaseUp, 10_000);
      expect(transitions.slice(0, 2)).toEqual(['up', 'down']);
      expect(cache.isLive).toBe(false);
      // Off: every read goes to Postgres, and keeps nothing.
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('unannounced');
      await silently(() => setReason('v1.4.0', 'still unannounced'));
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('still unannounced');

      releaseUp!();
      expect(cache.isLive).toBe(true);
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('still unannounced');
      await silently(() => setReason('v1.4.0', 'cached again'));
      expect((await cache.inFlightOrLatest())?.failureReason).toBe('still unannounced');
      await setReason('v1.4.0', 'announced');
      await waitFor('the re-established LISTEN to hear it', async () => (await cache.inFlightOrLatest())?.failureReason === 'announced', 5_000);
    } finally {
      await listening.close();
    }
    // Closed: off for good, every answer read through.
    expect(cache.isLive).toBe(false);
    await silently(() => setReason('v1.4.0', 'after close'));
    expect((await cache.inFlightOrLatest())?.failureReason).toBe('after close');
  });

  it('on embedded PGlite, the same trigger and LISTEN clear the cache', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'tminus-status-cache-'));
    const embedded = await openDatabase({ dataDir });
    try {
      const store = new ReleaseStore(embedded.db, realClock);
      const { cache, close } = await ReleaseCache.open({ store, database: embedded, log: silent });
      try {
        const created = await store.create({ version: 'v2.0.0', type: 'major', previousVersion: 'v1.2.0', requestedBy: 'U0ENG', requestId: 'req-pglite', channelId: RELEASES_CHANNEL, startedAt: new Date() });
        expect(created.ok).toBe(true);
        expect((await cache.inFlightOrLatest())?.state).toBe('started');
        // A write that bypasses the store: only the trigger's notification can clear the cache.
        await embedded.db.execute(drizzleSql`update releases set state = 'failed', failure_reason = 'by hand' where version = 'v2.0.0'`);
        await waitFor('the notification on PGlite', async () => (await cache.inFlightOrLatest())?.state === 'failed', 5_000);
      } finally {
        await close();
      }
    } finally {
      await embedded.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('/release status drawn from memory still counts the minutes', () => {
  let world: World;
  let bot: Bot;
  let now = new Date('2026-12-10T14:00:00Z');

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { clock: () => now });
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('shows T+N of the minute it is asked in, for the same unchanged release', async () => {
    const status = async () => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text: 'status', userId: 'U0ENG' })).body as { text: string; blocks: unknown[] });
    const created = await bot.tminus.store.create(
      { version: 'v1.3.0', type: 'minor', previousVersion: 'v1.2.0', requestedBy: 'U0ENG', requestId: 'req-minutes', channelId: RELEASES_CHANNEL, startedAt: now },
      { rule: { roles: ['engineeringLead'], rule: 'any', approvers: 1 } },
    );
    if (!created.ok) throw new Error(created.conflict);
    await waitFor('status to show v1.3.0', async () => (await status()).includes('Release v1.3.0: waiting for approval'), 5_000);
    expect(await status()).toContain('T+0 · ETA');
    now = new Date(now.getTime() + 61_000);
    expect(await status()).toContain('T+1 · ETA');
    now = new Date(now.getTime() + 59_000);
    expect(await status()).toContain('T+2 · ETA');
  });
});
