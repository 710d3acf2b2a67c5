import { WebClient } from '@slack/web-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checklistItems } from '../../src/domain/checklist.js';
import { CHECKLIST_KEYS } from '../../src/domain/plan-schedule.js';
import { checklistTicks, releasePlans, releaseEvents, releases, slackPosts } from '../../src/integrations/database/schema.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { BOT_TOKEN, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const LEAD_TIME = 12_000;

/** Every checklist and timeline step falls due at start-up; the slot itself a few seconds later. */
const POLICY = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
roles:
  engineeringLeadership: { users: [U0HEAD] }
  qaLead: { users: [U0QA] }
  releaseEngineer: { users: [U0ENG] }
checklists:
  before72h: { before: 40s }
  before24h: { before: 39s }
  before4h: { before: 38s }
communication:
  announceBefore: 45s
planning:
  enforceCadence: false
  catchUpGrace: 10m
  minorTimeline:
    - { key: branchCut, label: Cut the release branch, before: 50s }
    - { key: codeFreeze, label: Code freeze (bug fixes only), before: 41s }
`;

describe('pre-release checklists', () => {
  let world: World;
  let bot: Bot;
  let planId: string;
  let parentTs: string;

  beforeAll(async () => {
    world = await startWorld();
    world.github.setCheckRuns('main', [{ name: 'test' }, { name: 'lint' }]);
    world.github.setCommitStatus('main', 'ci/coverage', 'success');
    world.datadog.setMonitors([{ id: 1, name: 'Error rate', overallState: 'OK' }]);
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl });
    parentTs = (await slack.chat.postMessage({ channel: RELEASES_CHANNEL, text: '🗓️ Release v1.3.0 planned' })).ts!;
    bot = await startBot(world, { policy: POLICY, planScheduleCron: '*/1 * * * * *' });
    const [plan] = await bot.database.db
      .insert(releasePlans)
      .values({
        version: 'v1.3.0',
        type: 'minor',
        plannedAt: new Date(Date.now() + LEAD_TIME),
        requestedBy: 'U0ENG',
        channelId: RELEASES_CHANNEL,
        threadTs: parentTs,
        state: 'planned',
        plan: { base: 'v1.2.0', head: 'main', advisedType: 'minor', sections: { features: [{ number: 14, title: 'Admin portal search', url: 'https://x/14', status: 'merged' }], fixes: [], improvements: [], breaking: [], migrations: [], other: [] } },
      })
      .returning();
    planId = plan!.id;
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const thread = () => world.slack.thread(RELEASES_CHANNEL, parentTs);
  const checklist = (title: string) => thread().find((m) => m.text.startsWith(title));

  it('posts the three checklists in the thread with the guide items, tminus ticking what it can check', async () => {
    const c72 = await waitFor('the 72 h checklist', () => checklist('72 Hours Before Release'));
    await waitFor('the 24 h and 4 h checklists', () => checklist('24 Hours Before Release') && checklist('Release Day (4 Hours Before)'));
    const text = visibleText(c72);
    expect(text).toContain('All PRs merged and reviewed');
    expect(text).toContain('Release branch created: `release/v1.3.0`');
    expect(text).toMatch(/No failing tests in main branch[\s\S]*CI green on main @ [0-9a-f]{7} \(3 checks\)/);
    expect(text).toMatch(/[▓░]{12} \d+\/16/);
    // One checkboxes element per section (Code Quality, Documentation, Release Branch).
    expect(c72.blocks.filter((b) => (b as { type: string }).type === 'actions')).toHaveLength(3);
    expect(world.github.headOf('release/v1.3.0')).toBeDefined();

    const c4 = checklist('Release Day (4 Hours Before)')!;
    expect(visibleText(c4)).toContain('Zero in-flight deployments');
    await waitFor('the 4 h automatic ticks', async () => {
      const ticks = await bot.database.db.select().from(checklistTicks).where(eq(checklistTicks.planId, planId));
      const by4h = ticks.filter((t) => t.checklist === 'before4h' && t.tickedBy === 'tminus').map((t) => t.evidence);
      return by4h.includes('no deployment in flight') && by4h.includes('no Datadog monitor alerting') && by4h.some((e) => e?.startsWith('CI green'));
    });
    // The announcement went to #releases, from the guide's template with the plan's feature.
    const announcement = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('Scheduled Maintenance'));
    expect(announcement && visibleText(announcement)).toContain('- Admin portal search');
  });

  it('records a person ticking an item through the checkboxes, once, with who and when', async () => {
    const c72 = checklist('72 Hours Before Release')!;
    const click = (userId: string, values: string[]) =>
      world.slack.sendBlockAction(bot.eventsUrl, {
        userId,
        channelId: RELEASES_CHANNEL,
        messageTs: c72.ts,
        actionId: 'checklist-tick:before72h:0:0',
        selectedOptions: values.map((value) => ({ value })),
      });
    const shows = (...people: string[]) => () => {
      const m: StoredMessage | undefined = checklist('72 Hours Before Release');
      return m && people.every((p) => visibleText(m).includes(`<@${p}>`)) ? m : undefined;
    };
    expect((await click('U0ENG', ['0.0'])).status).toBe(200);
    // Slack has the click acknowledged before tminus records it: QA ticks on after seeing the engineer's tick,
    // as a person would (two clicks on one item in the same instant are recorded for whoever lands first).
    await waitFor("the checklist to show the engineer's tick", shows('U0ENG'));
    expect((await click('U0QA', ['0.0', '0.2'])).status).toBe(200);
    const updated = await waitFor('the checklist to show both ticks', shows('U0QA', 'U0ENG'));
    expect(visibleText(updated)).toMatch(/All PRs merged and reviewed: <@U0ENG> at \d\d:\d\d UTC/);
    const ticks = await bot.database.db.select().from(checklistTicks).where(eq(checklistTicks.planId, planId));
    expect(ticks.filter((t) => t.checklist === 'before72h' && t.item === '0.0').map((t) => t.tickedBy)).toEqual(['U0ENG']);
    expect(ticks.find((t) => t.checklist === 'before72h' && t.item === '0.2')?.tickedBy).toBe('U0QA');
  });

  it('blocks the start at T-0 while items are open; an approver overrides with a reason', async () => {
    const blocked = await waitFor('the T-0 gate', () => thread().find((m) => m.text.includes('cannot start yet')), LEAD_TIME + 20_000);
    expect(visibleText(blocked)).toContain('Security scan passed');
    const [before] = await bot.database.db.select().from(releases).where(eq(releases.version, 'v1.3.0'));
    expect(before).toBeUndefined();

    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0QA', channelId: RELEASES_CHANNEL, messageTs: blocked.ts, actionId: 'checklist-override', value: planId });
    await waitFor('the refusal', () => world.slack.ephemerals('U0QA').find((e) => e.text.includes("can't override")));

    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0HEAD', channelId: RELEASES_CHANNEL, messageTs: blocked.ts, actionId: 'checklist-override', value: planId });
    const modal = await waitFor('the override modal', () => world.slack.views().find((v) => v.view.callback_id === 'checklist-override-modal' && !v.closed));
    const submitted = await world.slack.sendViewSubmission(bot.eventsUrl, { userId: 'U0HEAD', viewId: modal.id, values: { reason: { reason: { type: 'plain_text_input', value: 'Docs follow next week' } } } });
    expect(submitted.status).toBe(200);

    const release = await waitFor('the release to start', () => bot.tminus.store.findByVersion('v1.3.0'));
    expect(release.requestedBy).toBe('U0ENG');
    const override = await waitFor('the override in the audit log', async () =>
      (await bot.database.db.select().from(releaseEvents).where(eq(releaseEvents.releaseId, release.id))).find((e) => e.action === 'checklist.override'),
    );
    expect(override).toMatchObject({ actor: 'U0HEAD', details: { reason: 'Docs follow next week' } });
    const [plan] = await bot.database.db.select().from(releasePlans).where(eq(releasePlans.id, planId));
    expect(plan).toMatchObject({ state: 'started', releaseId: release.id });
    await waitFor('the started note', () => thread().find((m) => m.text.includes("started at T-0 on <@U0HEAD>'s override")));
  });
});

describe('the T-0 start of a planned release', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: POLICY, planScheduleCron: '*/1 * * * * *' });
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('starts the release as its requester by itself when every item of every due checklist is ticked', async () => {
    const [plan] = await bot.database.db
      .insert(releasePlans)
      .values({ version: 'v1.3.0', type: 'minor', plannedAt: new Date(Date.now() + 4_000), requestedBy: 'U0ENG', channelId: RELEASES_CHANNEL, state: 'planned' })
      .returning();
    for (const key of CHECKLIST_KEYS) {
      for (const item of checklistItems(bot.policy.checklists[key], 'v1.3.0')) {
        await bot.database.db.insert(checklistTicks).values({ planId: plan!.id, checklist: key, item: item.id, tickedBy: 'U0QA' }).onConflictDoNothing();
      }
    }
    const release = await waitFor('the release to start', () => bot.tminus.store.findByVersion('v1.3.0'), 20_000);
    expect(release.requestedBy).toBe('U0ENG');
    await waitFor('the started note', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('v1.3.0 started at T-0: every checklist item is ticked')));
    expect(world.slack.messages(RELEASES_CHANNEL).some((m) => m.text.includes('cannot start yet'))).toBe(false);
    const summary = await waitFor('the ticks in the audit log', async () =>
      (await bot.database.db.select().from(releaseEvents).where(eq(releaseEvents.releaseId, release.id))).find((e) => e.action === 'checklist.summary'),
    );
    expect((summary.details as { ticks: unknown[] }).ticks).toHaveLength(CHECKLIST_KEYS.reduce((n, key) => n + checklistItems(bot.policy.checklists[key], 'v1.3.0').length, 0));
  });
});

describe('Slack answering a post late', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // Slack puts each checklist in the channel at once and answers tminus's call late: the 72 h one after 7 s
    // (long enough for someone to tick an item before tminus has recorded the message), the 24 h one after
    // 12 s (past tminus's 10 s timeout).
    world.slack.answerLateNext('chat.postMessage', 7_000, (args) => String(args.text).startsWith('72 Hours Before Release'));
    world.slack.answerLateNext('chat.postMessage', 12_000, (args) => String(args.text).startsWith('24 Hours Before Release'));
    bot = await startBot(world, { policy: POLICY, planScheduleCron: '*/1 * * * * *' });
    await bot.database.db
      .insert(releasePlans)
      // T-0 in 42 s: its checklists (40 s, 39 s, 38 s before) are due at start-up.
      .values({ version: 'v1.3.0', type: 'minor', plannedAt: new Date(Date.now() + 42_000), requestedBy: 'U0ENG', channelId: RELEASES_CHANNEL, state: 'planned' });
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a tick on a checklist tminus has not heard back about shows once tminus has recorded it', async () => {
    const checklist = () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('72 Hours Before Release'));
    const c72 = await waitFor('the 72 h checklist in the channel', checklist);
    // Slack's ts is when Slack posted it: its answer to tminus comes 7 s after that.
    const posted = Number(c72.ts) * 1000;
    const click = await world.slack.sendBlockAction(bot.eventsUrl, {
      userId: 'U0ENG',
      channelId: RELEASES_CHANNEL,
      messageTs: c72.ts,
      actionId: 'checklist-tick:before72h:0:0',
      selectedOptions: [{ value: '0.0' }],
    });
    expect(click.status).toBe(200);
    const updated = await waitFor('the checklist to show the tick', () => {
      const m = checklist();
      return m && visibleText(m).includes('<@U0ENG>') ? m : undefined;
    }, 60_000);
    expect(visibleText(updated)).toMatch(/All PRs merged and reviewed: <@U0ENG> at \d\d:\d\d UTC/);
    // Not before tminus heard back from Slack: the edit waited for the post.
    expect(Date.now() - posted).toBeGreaterThan(6_000);
    expect(world.slack.ephemerals('U0ENG')).toEqual([]);
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('72 Hours Before Release'))).toHaveLength(1);
  }, 90_000);

  it('a post answered after tminus stopped waiting is found by its key and recorded, never posted twice', async () => {
    const posted = () => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('24 Hours Before Release'));
    await waitFor('the 24 h checklist in the channel', () => posted().length > 0);
    const plan = (await bot.database.db.select().from(releasePlans).where(eq(releasePlans.version, 'v1.3.0')))[0]!;
    // tminus gives up waiting, looks for the message by the key in its metadata, finds it and records it.
    const recorded = async () => (await bot.database.db.select().from(slackPosts).where(eq(slackPosts.key, `checklist:${plan.id}:before24h`)))[0]?.ts;
    await waitFor('tminus to record the message', async () => (await recorded()) === posted()[0]!.ts, 60_000);
    expect(posted()).toHaveLength(1);
    expect(world.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).startsWith('24 Hours Before Release'))).toHaveLength(1);
  }, 90_000);
});
