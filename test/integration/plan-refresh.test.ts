import { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import {
  FAST_POLICY,
  mergePullRequest,
  RELEASES_CHANNEL,
  runUpPolicy,
  startWorld,
  visibleText,
  waitFor,
  type Bot,
  type World,
  startRunUpBot,
  startRunUpWorld,
} from '../support/harness.js';
import { startWebhookBot } from '../support/webhook-bot.js';

const SECRET = 'plan-refresh-webhook-secret';
const REFRESHED = 'Merged since this plan was drafted';

/** `/release plan` as a release engineer types it; the plan once build-plan has posted its card. */
async function planByCommand(world: World, bot: Bot, text: string, version: string) {
  const answer = await world.slack.sendCommand(bot.eventsUrl, { text, userId: 'U0ENG' });
  expect(answer.status).toBe(200);
  const plan = await waitFor(`the plan of ${version}`, async () => {
    const row = await bot.tminus.releasePlans.findByVersion(version);
    return row?.state === 'planned' ? row : undefined;
  });
  const card = () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === plan.threadTs)!;
  const thread = () => world.slack.thread(RELEASES_CHANNEL, plan.threadTs!);
  const notes = () => thread().find((m) => m.text === `Release notes draft for ${version}`)!;
  return { plan, card, thread, notes };
}

/** Slack calls that change what people see. */
function slackWrites(world: World): number {
  return world.slack.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update').length;
}

/** How many refresh-plan jobs the queue has seen (waiting, running or done). */
async function refreshJobs(bot: Bot): Promise<number> {
  const jobs = await bot.tminus.jobs.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.filter((j) => j?.name === 'refresh-plan').length;
}

describe('a release plan follows what is merged after it was drafted, as GitHub says it', () => {
  let world: World;
  let bot: Bot & { hook: GitHubWebhooks };
  let planned: Awaited<ReturnType<typeof planByCommand>>;
  let search: number;
  let login: number;

  beforeAll(async () => {
    world = await startWorld();
    search = await mergePullRequest(world, 'feat/search', 'feat: admin portal search', { 'src/search.ts': 'export const search = true;\n' });
    bot = await startWebhookBot(world, `${FAST_POLICY}roles:\n  releaseEngineer: { users: [U0ENG] }\n`, SECRET);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    // A month ahead: none of the plan's scheduled events falls due during the test.
    const day = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    planned = await planByCommand(world, bot, `plan v1.3.0 ${day} 14:00`, 'v1.3.0');
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('adds a pull request merged later to the card and the notes draft within seconds, and says so once in the thread', async () => {
    expect(visibleText(planned.card())).toContain('feat: admin portal search');
    expect(visibleText(planned.card())).not.toContain('login');

    login = await mergePullRequest(world, 'fix/login', 'fix: login keeps the page you asked for', { 'src/login.ts': 'export const keep = true;\n' });
    const card = await waitFor('the card to show the new fix', () => (visibleText(planned.card()).includes('fix: login keeps the page') ? planned.card() : undefined), 5_000);
    const text = visibleText(card);
    expect(text.slice(text.indexOf('*Bug Fixes*')).split('\n*')[0]).toContain(`#${login}> fix: login keeps the page you asked for - Status: Merged`);
    expect(text).toContain('feat: admin portal search');
    // Edited in place: still the top of the plan's thread.
    expect(card.ts).toBe(planned.plan.threadTs);

    await waitFor('the notes draft to list the fix', () => visibleText(planned.notes()).includes(`- Login keeps the page you asked for - #${login}`), 5_000);
    const note = await waitFor('the thread to say what was merged', () => planned.thread().find((m) => m.text.startsWith(REFRESHED)), 5_000);
    expect(note.text).toContain(`${REFRESHED}: #${login} fix: login keeps the page you asked for.`);
    expect(visibleText(note)).not.toContain(`#${search}`);

    // The stored plan follows too: the announcement and "Release complete" read it.
    const stored = await bot.tminus.releasePlans.findById(planned.plan.id);
    expect(stored?.plan?.sections.fixes.map((i) => i.number)).toEqual([login]);
    expect(stored?.plan?.sections.features.map((i) => i.number)).toEqual([search]);
    expect(stored?.notes).toContain(`## Bug Fixes\n- Login keeps the page you asked for - #${login}`);
  });

  it('posts nothing more when GitHub redelivers the merge, or when a refresh finds nothing new', async () => {
    const delivery = bot.hook.deliveries.find((d) => d.event === 'pull_request' && d.payload.number === login && !d.redelivery)!;
    expect(delivery.status).toBe(202);
    const writes = slackWrites(world);
    expect(await bot.hook.redeliver(delivery.id)).toBe(200);

    // A refresh that finds the plan as GitHub has it changes nothing in Slack.
    const done = async () => (await bot.tminus.jobs.queue.getJobs(['completed'])).filter((j) => j?.name === 'refresh-plan').length;
    const before = await done();
    await bot.tminus.jobs.add('refresh-plan', { planId: planned.plan.id });
    await waitFor('the refresh to run', async () => (await done()) > before);
    expect(slackWrites(world)).toBe(writes);
    expect(planned.thread().filter((m) => m.text.startsWith(REFRESHED))).toHaveLength(1);
  });

  it('changes nothing for a pull request merged into another branch', async () => {
    const octokit = new Octokit({ auth: world.github.token, baseUrl: world.github.url, retry: { enabled: false }, throttle: { enabled: false } });
    const repo = { owner: world.github.owner, repo: world.github.repo };
    world.github.createBranch('develop');
    world.github.createBranch('feat/dark-mode', 'develop');
    world.github.commit('feat/dark-mode', 'feat: dark mode', { 'src/theme.ts': 'export const dark = true;\n' });
    const { data: pull } = await octokit.rest.pulls.create({ ...repo, title: 'feat: dark mode', head: 'feat/dark-mode', base: 'develop' });
    const writes = slackWrites(world);
    const refreshes = await refreshJobs(bot);
    await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number, merge_method: 'squash' });

    const delivery = await waitFor('the merge to be delivered', () => bot.hook.deliveries.find((d) => d.event === 'pull_request' && d.payload.number === pull.number && d.status !== undefined));
    expect(delivery.status).toBe(202);
    await waitFor('tminus to have looked at it', async () => (await bot.tminus.jobs.queue.getJob(`github-event-${delivery.id}`))?.isCompleted());
    expect(await refreshJobs(bot)).toBe(refreshes);
    expect(slackWrites(world)).toBe(writes);
    const stored = await bot.tminus.releasePlans.findById(planned.plan.id);
    expect(JSON.stringify(stored?.plan)).not.toContain('dark mode');
    expect(visibleText(planned.card())).not.toContain('dark mode');
  });

  it('once release/v1.3.0 is cut, follows that branch: a fix merged into it joins, a merge into main does not', async () => {
    const octokit = new Octokit({ auth: world.github.token, baseUrl: world.github.url, retry: { enabled: false }, throttle: { enabled: false } });
    const repo = { owner: world.github.owner, repo: world.github.repo };
    // The branch cut, as the minor timeline makes it: from main's head.
    world.github.createBranch('release/v1.3.0', 'main');

    // (a) Merged into main after the cut: not in the release, so not in the plan.
    const writes = slackWrites(world);
    const refreshes = await refreshJobs(bot);
    const exporter = await mergePullRequest(world, 'feat/export', 'feat: CSV export of orders', { 'src/export.ts': 'export const csv = true;\n' });
    const delivery = await waitFor('the merge into main to be delivered', () => bot.hook.deliveries.find((d) => d.event === 'pull_request' && d.payload.number === exporter && d.status !== undefined));
    expect(delivery.status).toBe(202);
    await waitFor('tminus to have looked at it', async () => (await bot.tminus.jobs.queue.getJob(`github-event-${delivery.id}`))?.isCompleted());
    expect(await refreshJobs(bot)).toBe(refreshes);
    expect(slackWrites(world)).toBe(writes);

    // (b) A fix merged into the release branch, the guide's way into a cut release: it joins, said once.
    world.github.createBranch('fix/checkout-total', 'release/v1.3.0');
    world.github.commit('fix/checkout-total', 'fix: checkout total rounds to cents', { 'src/checkout.ts': 'export const cents = 2;\n' });
    const { data: pull } = await octokit.rest.pulls.create({ ...repo, title: 'fix: checkout total rounds to cents', head: 'fix/checkout-total', base: 'release/v1.3.0' });
    await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number, merge_method: 'squash' });

    const card = await waitFor('the card to show the fix', () => (visibleText(planned.card()).includes('fix: checkout total rounds') ? planned.card() : undefined), 5_000);
    const text = visibleText(card);
    expect(text.slice(text.indexOf('*Bug Fixes*')).split('\n*')[0]).toContain(`#${pull.number}> fix: checkout total rounds to cents - Status: Merged`);
    expect(text).toContain('fix: login keeps the page');
    expect(text).not.toContain('CSV export');
    await waitFor('the notes draft to list the fix', () => visibleText(planned.notes()).includes(`- Checkout total rounds to cents - #${pull.number}`), 5_000);
    expect(visibleText(planned.notes())).not.toContain('CSV export');
    const notes = await waitFor('the thread to say what was merged', () => {
      const found = planned.thread().filter((m) => m.text.startsWith(REFRESHED) && m.text.includes(`#${pull.number}`));
      return found.length > 0 ? found : undefined;
    }, 5_000);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toContain(`${REFRESHED}: #${pull.number} fix: checkout total rounds to cents.`);
    // Nothing ever said the merge into main joined.
    expect(planned.thread().filter((m) => m.text.startsWith(REFRESHED))).toHaveLength(2);
    expect(planned.thread().some((m) => m.text.includes(`#${exporter}`))).toBe(false);

    const stored = await bot.tminus.releasePlans.findById(planned.plan.id);
    expect(stored?.plan?.sections.fixes.map((i) => i.number)).toEqual([login, pull.number]);
    expect(JSON.stringify(stored?.plan)).not.toContain('CSV export');
    expect(stored?.plan?.head).toBe('release/v1.3.0');
    expect(stored?.notes).not.toContain('CSV export');
  });
});

/**
 * Without webhooks: the guide's run-up in seconds, on a clock that starts 60 s before a minor slot. The 72 h
 * checklist falls due first (40 s before), the announcement after it (30 s before).
 */
const RUN_UP = runUpPolicy({ checklists: [40, 25, 20], announceBefore: 30, timeline: [['releaseDay', 'Release day', 10]] });

describe('without webhooks, a plan is read again before its checklist is posted', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startRunUpWorld();
    bot = await startRunUpBot(world, RUN_UP);
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('shows a merge nobody announced in the card, the thread and the announcement, before the 72 h checklist', async () => {
    const planned = await planByCommand(world, bot, 'plan v1.3.0 2026-12-10 14:00', 'v1.3.0');
    const wallet = await mergePullRequest(world, 'feat/wallet', 'feat: wallet top-up limits', { 'src/wallet.ts': 'export const limit = 100;\n' });
    expect(visibleText(planned.card())).not.toContain('wallet top-up limits');

    const checklist: StoredMessage = await waitFor('the 72 h checklist', () => planned.thread().find((m) => m.text.startsWith('72 Hours Before Release')), 60_000);
    // By the time the checklist is posted, the plan shows the merge, and the thread said so first.
    expect(visibleText(planned.card())).toContain(`#${wallet}> feat: wallet top-up limits - Status: Merged`);
    expect(visibleText(planned.notes())).toContain(`- Wallet top-up limits - #${wallet}`);
    const notes = planned.thread().filter((m) => m.text.startsWith(REFRESHED));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toContain(`#${wallet} feat: wallet top-up limits`);
    expect(Number(notes[0]!.ts)).toBeLessThan(Number(checklist.ts));

    const announcement = await waitFor('the announcement', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('Scheduled Maintenance')), 60_000);
    expect(visibleText(announcement)).toContain('Wallet top-up limits');
    // Read again for the announcement too, and nothing new: nothing more said.
    expect(planned.thread().filter((m) => m.text.startsWith(REFRESHED))).toHaveLength(1);
  }, 120_000);
});
