import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { releasePlans, scheduledRuns } from '../../src/integrations/database/schema.js';
import { RELEASES_CHANNEL, startWorld, waitFor, type World } from '../support/harness.js';
import { botEnvironment, startBotProcess, type BotProcess } from '../support/process.js';

const SLOT_AHEAD = 600_000;

/** Every event falls 10 minutes before the slot, a second apart; the scheduler's cron ticks every second. */
const POLICY = `
checklists:
  before72h: { before: 600s }
  before24h: { before: 599s }
  before4h: { before: 598s }
communication:
  announceBefore: 601s
planning:
  catchUpGrace: 30s
  minorTimeline: []
`;

describe('the planned-release scheduler with two replicas', () => {
  let world: World;
  let bots: BotProcess[] = [];
  let database: DatabaseHandle;

  beforeAll(async () => {
    world = await startWorld();
    // Migrated first: two processes migrating a fresh database at once would race on CREATE TABLE.
    database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
    const env = { ...botEnvironment(world, POLICY), PLAN_SCHEDULE_CRON: '*/1 * * * * *' };
    bots = await Promise.all([startBotProcess(env), startBotProcess(env)]);
  }, 90_000);
  afterAll(async () => {
    for (const bot of bots) {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    await database?.close();
    await world?.close();
  });

  const plan = (version: string, dueInMs: number) =>
    database.db
      .insert(releasePlans)
      .values({ version, type: 'minor', plannedAt: new Date(Date.now() + SLOT_AHEAD + dueInMs), requestedBy: 'U0ENG', channelId: RELEASES_CHANNEL, state: 'planned' })
      .returning()
      .then((rows) => rows[0]!);
  const posted = (prefix: string, version: string) => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith(prefix) && m.text.includes(version));

  it('posts each checklist and the announcement exactly once', async () => {
    const row = await plan('v1.3.0', 3_000);
    await waitFor('every post', () => posted('24 Hours Before Release', 'v1.3.0').length > 0 && posted('Release Day (4 Hours Before)', 'v1.3.0').length > 0, 30_000);
    // Several more cron slots pass in both processes: nothing is posted again.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(posted('Scheduled Maintenance', 'v1.3.0')).toHaveLength(1);
    expect(posted('72 Hours Before Release', 'v1.3.0')).toHaveLength(1);
    expect(posted('24 Hours Before Release', 'v1.3.0')).toHaveLength(1);
    expect(posted('Release Day (4 Hours Before)', 'v1.3.0')).toHaveLength(1);
    // Each claimed once, and marked done when its job ran (one left 'queued' is queued again by the next pass).
    const runs = await waitFor('every run done', async () => {
      const rows = await database.db.select().from(scheduledRuns).where(eq(scheduledRuns.planId, row.id));
      return rows.length === 4 && rows.every((r) => r.outcome === 'done') ? rows : undefined;
    });
    expect(runs.map((r) => r.key.split(':')[1]).sort()).toEqual(['announcement', 'checklist-before24h', 'checklist-before4h', 'checklist-before72h']);
  });

  it('a replica that was down catches up once within the grace, and says what is past it', async () => {
    for (const bot of bots) {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    bots = [];
    // While no process runs: the announcement passes beyond the 30 s grace, the checklists within it.
    const row = await plan('v1.4.0', -20_000);
    const env = { ...botEnvironment(world, POLICY.replace('announceBefore: 601s', 'announceBefore: 660s')), PLAN_SCHEDULE_CRON: '*/1 * * * * *' };
    bots = [await startBotProcess(env)];
    await waitFor('the caught-up checklists', () => posted('Release Day (4 Hours Before)', 'v1.4.0').length > 0, 60_000);
    await waitFor('the skipped announcement', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('pre-release announcement for v1.4.0') && m.text.includes('skipped')), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(posted('72 Hours Before Release', 'v1.4.0')).toHaveLength(1);
    expect(posted('Scheduled Maintenance', 'v1.4.0')).toHaveLength(0);
    const runs = await database.db.select().from(scheduledRuns).where(eq(scheduledRuns.planId, row.id));
    expect(runs.find((r) => r.key.endsWith(':announcement'))?.outcome).toBe('skipped');
  }, 120_000);
});
