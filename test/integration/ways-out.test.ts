import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS_SYNC_KEY } from '../../src/jobs/sync-released-versions.js';
import { deployWorkflow, FAST_POLICY, mergePullRequest, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const ROLES = `
roles:
  releaseEngineer: { users: [U0REL, U0ENG] }
`;

/** Ways out by hand for plans, and what a job that gives up leaves behind. */
describe('ways out: plans cancelled or moved, jobs that give up', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // Something to plan: a pull request merged since v1.2.0.
    await mergePullRequest(world, 'feat/limits', 'feat: wallet limits', { 'src/wallet.ts': 'export const limit = 1;\n' });
    bot = await startBot(world, { policy: FAST_POLICY + ROLES });
    // Read and marked read: `/release plan` refuses until the sync is recorded, a write after the versions'.
    await waitFor('the tags to be read', async () => (await bot.tminus.store.releasedVersions()).includes('v1.2.0') && Boolean(await bot.tminus.store.syncedAt(TAGS_SYNC_KEY)));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const command = (text: string, userId: string) => world.slack.sendCommand(bot.eventsUrl, { text, userId }).then((r) => visibleText(r.body as { text: string; blocks: unknown[] }));
  const planOf = (version: string) => bot.tminus.releasePlans.findByVersion(version);
  const planEvents = async (version: string) => {
    const plan = await planOf(version);
    const events = [];
    for (let id = 1; id < 50; id++) {
      const event = await bot.tminus.releasePlans.planEvent(id);
      if (event?.planId === plan?.id) events.push(event);
    }
    return events;
  };

  it('moves a plan to another date and cancels it, audited and said in its thread; only who may', async () => {
    // Dates within the policy's planning horizon: a month and six weeks from now.
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    const [first, second] = [day(30), day(44)];
    expect(await command(`plan v1.3.0 ${first} 14:00`, 'U0ENG')).toContain('Planning v1.3.0');
    const plan = await waitFor('the plan to be planned', async () => ((await planOf('v1.3.0'))?.state === 'planned' ? planOf('v1.3.0') : undefined));
    const card = { ts: plan.threadTs! };

    expect(await command(`plan move v1.3.0 ${second}`, 'U0QA')).toContain("you can't change the plan of v1.3.0");
    expect(await command('plan move v1.3.0 yesterday', 'U0ENG')).toContain('is not a date like');
    expect(await command(`plan move v1.3.0 ${second} 15:30 the API freeze slipped`, 'U0REL')).toContain('moved from');
    expect((await planOf('v1.3.0'))?.plannedAt.toISOString()).toBe(`${second}T15:30:00.000Z`);
    await waitFor('the move in the thread', () => world.slack.thread(RELEASES_CHANNEL, card.ts).find((m) => m.text.includes('moved from') && m.text.includes('the API freeze slipped')));

    expect(await command('plan cancel v1.3.0', 'U0ENG')).toContain('Say why');
    expect(await command('plan cancel v1.3.0 folded into v1.4.0', 'U0ENG')).toContain('cancelled');
    expect((await planOf('v1.3.0'))?.state).toBe('cancelled');
    await waitFor('the cancellation in the thread', () => world.slack.thread(RELEASES_CHANNEL, card.ts).find((m) => m.text.includes('cancelled by')));
    expect(await command('plan cancel v1.3.0 again', 'U0ENG')).toContain('There is no plan for v1.3.0');

    const events = await planEvents('v1.3.0');
    expect(events.map((e) => [e!.action, e!.actor])).toEqual([
      ['plan.moved', 'U0REL'],
      ['plan.cancelled', 'U0ENG'],
    ]);
    // The plans' audit log is append-only, like the releases'.
    await expect(bot.database.db.execute(sql`delete from plan_events`)).rejects.toThrow();

    // The version may be planned again, also after the cancelled plan's scheduled events ran; the cancelled
    // plan stays with its history.
    const cancelled = (await planOf('v1.3.0'))!;
    await bot.database.db.execute(sql`insert into scheduled_runs (key, plan_id, due_at, outcome) values (${`plan:${cancelled.id}:before72h`}, ${cancelled.id}, now(), 'done')`);
    expect(await command(`plan v1.3.0 ${second} 14:00`, 'U0ENG')).toContain('Planning v1.3.0');
    const again = await waitFor('the new plan', () => planOf('v1.3.0').then((p) => (p && p.id !== cancelled.id ? p : undefined)));
    expect(again.state).not.toBe('cancelled');
    expect((await bot.tminus.releasePlans.findById(cancelled.id))?.state).toBe('cancelled');
    expect(await command(`plan v1.3.0 ${second} 15:00`, 'U0ENG')).toContain('already planned');
  });

  it('a GitHub release that cannot be published: the release is completed anyway, and the thread says what to do', async () => {
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 }));
    // Refused for good (a token without Contents: write): the job gives up at once.
    world.github.failNext('POST', /\/releases$/, 403, 1);
    expect(await command('start v1.4.0', 'U0ENG')).toContain('Starting minor release v1.4.0');
    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.4.0')));
    const note = await waitFor('the thread to say what failed', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('could not finish it')));
    expect(visibleText(note)).toContain('publish the GitHub release by hand');
    expect((await bot.tminus.store.findByVersion('v1.4.0'))?.state).toBe('completed');
    const events = await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.4.0'))!.id);
    expect(events.find((e) => e.action === 'job.gave_up')?.details).toMatchObject({ job: 'complete-release' });
    // No more updates: the deploy is over, whatever GitHub's release API says.
    const count = world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('IN PROGRESS')).length;
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('IN PROGRESS')).length).toBe(count);
  });

  it('a job that gave up is tried again from its first attempt when the reconciler asks for it', async () => {
    const release = (await bot.tminus.store.findByVersion('v1.4.0'))!;
    const id = 'complete-release-' + release.id;
    const job = await bot.tminus.jobs.queue.getJob(id);
    expect(await job?.getState()).toBe('failed');
    await bot.tminus.jobs.queue.pause();
    expect(await bot.tminus.jobs.ensure('complete-release', { releaseId: release.id, finishedAt: release.finishedAt!.toISOString() })).toBe('revived');
    const revived = await bot.tminus.jobs.queue.getJob(id);
    expect(await revived?.getState()).toBe('waiting');
    expect(revived?.attemptsMade).toBe(0);
    expect(await bot.tminus.jobs.ensure('complete-release', { releaseId: release.id, finishedAt: release.finishedAt!.toISOString() })).toBe('there');
    await bot.tminus.jobs.queue.resume();
    // GitHub answers again: the release is published and the complete message posted, once.
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.4.0'))!;
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')), 30_000);
    expect(world.github.releases().filter((r) => r.tag_name === 'v1.4.0')).toHaveLength(1);
  });
});
