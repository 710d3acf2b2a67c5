import { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextSlots } from '../../src/domain/calendar.js';
import { WebClient } from '@slack/web-api';
import { loadPolicy } from '../../src/domain/policy.js';
import { planRelease, type PlanReleaseDeps } from '../../src/services/plan-release.js';
import { RoleDirectory } from '../../src/services/roles.js';
import { BOT_TOKEN, FAST_POLICY, mergePullRequest, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/** `/release plan`: the service records a draft inside the Slack request; build-plan reads GitHub and posts. */
describe('/release plan reads what was merged since the last release', () => {
  let world: World;
  let bot: Bot;
  let octokit: Octokit;
  let deps: PlanReleaseDeps;
  const numbers: Record<string, number> = {};

  const mergedPullRequest = (branch: string, title: string, files: Record<string, string>, labels: string[] = []) => mergePullRequest(world, branch, title, files, labels);

  async function planned(planId: string, state = 'planned') {
    return waitFor(`plan ${planId} to be ${state}`, async () => {
      const plan = await bot.tminus.releasePlans.findById(planId);
      return plan?.state === state ? plan : undefined;
    });
  }

  beforeAll(async () => {
    world = await startWorld();
    octokit = new Octokit({ auth: world.github.token, baseUrl: world.github.url, retry: { enabled: false }, throttle: { enabled: false } });
    numbers.wallet = await mergedPullRequest('feat/wallet-limits', 'feat: wallet limits', { 'drizzle/0005_x.sql': 'alter table wallets add column daily_limit int;\n', 'src/wallet.ts': 'export const limit = 1;\n' });
    numbers.receipts = await mergedPullRequest('receipt-totals', 'Receipt totals include tax', { 'src/receipts.ts': 'export const tax = true;\n' }, ['bug']);
    numbers.rates = await mergedPullRequest('perf/rates', 'perf: cache exchange rates', { 'src/rates.ts': 'export const cache = new Map();\n' });
    numbers.search = await mergedPullRequest('faster-search', 'Faster search', { 'src/search.ts': 'export const fast = true;\n' }, ['performance']);
    numbers.deps = await mergedPullRequest('chore/deps', 'chore: bump dependencies', { 'package.json': '{}\n' });
    // U0LEAD may plan (permissions.plan); the plans here lie years ahead, past the default horizon.
    const policyYaml = `${FAST_POLICY}roles:\n  engineeringLead: { users: [U0LEAD] }\n`;
    bot = await startBot(world, { policy: policyYaml });
    await waitFor('the tags to be read from GitHub', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    const policy = loadPolicy(policyYaml);
    const roles = new RoleDirectory(new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl }), policy);
    deps = { plans: bot.tminus.releasePlans, store: bot.tminus.store, jobs: bot.tminus.jobs, clock: () => new Date(), policy: { ...policy, planning: { ...policy.planning, horizon: 520 * 7 * 86_400_000 } }, roles, releasesChannel: RELEASES_CHANNEL };
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('the stand-in links each merge commit on main to its pull request', async () => {
    const repo = { owner: world.github.owner, repo: world.github.repo };
    const head = world.github.headOf('main')!;
    const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: head });
    expect(data.map((p) => p.number)).toEqual([numbers.deps]);
    const files = await octokit.rest.pulls.listFiles({ ...repo, pull_number: numbers.wallet! });
    expect(files.data.map((f) => f.filename).sort()).toEqual(['drizzle/0005_x.sql', 'src/wallet.ts']);
  });

  it('posts the plan card with sections, the migration and the advice, and the notes draft in its thread', async () => {
    const outcome = await planRelease(deps, { versionText: 'v1.3.0', whenText: '2030-12-05 14:00', userId: 'U0LEAD' });
    if (outcome.kind !== 'planned') throw new Error(outcome.reason);
    expect(outcome.plan.state).toBe('drafting');
    expect(outcome.plan.plannedAt.toISOString()).toBe('2030-12-05T14:00:00.000Z');

    const plan = await planned(outcome.plan.id);
    const card = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === plan.threadTs)!;
    const text = visibleText(card);
    expect(text).toContain('Release plan: v1.3.0');
    expect(text).toContain('*Release Date:* 2030-12-05 14:00 UTC');
    const section = (title: string) => text.slice(text.indexOf(`*${title}*`)).split('\n*')[0]!;
    expect(section('Features Included')).toContain(`#${numbers.wallet}> feat: wallet limits - Status: Merged`);
    expect(section('Bug Fixes')).toContain('Receipt totals include tax');
    expect(section('Improvements')).toContain('perf: cache exchange rates');
    expect(section('Improvements')).toContain('Faster search');
    expect(section('Other changes')).toContain('chore: bump dependencies');
    expect(section('Breaking Changes')).toContain('None');
    expect(section('Database Migrations')).toContain('feat: wallet limits');
    expect(section('Database Migrations')).not.toContain('Receipt');
    expect(section('Deployment Steps')).toContain(`run the migrations (#${numbers.wallet})`);
    expect(text).toContain('*Advised version type:* minor ✅');

    expect(plan.plan).toMatchObject({ base: 'v1.2.0', head: 'main', advisedType: 'minor' });
    expect(plan.plan?.sections.migrations.map((i) => i.number)).toEqual([numbers.wallet]);
    expect(plan.plan?.sections.improvements.map((i) => i.number)).toEqual([numbers.rates, numbers.search]);
    expect(plan.notes).toContain('# Release v1.3.0');
    expect(plan.notes).toContain(`## New Features\n- Wallet limits - #${numbers.wallet}`);
    expect(plan.notes).toContain(`## Bug Fixes\n- Receipt totals include tax - #${numbers.receipts}`);

    const thread = world.slack.thread(RELEASES_CHANNEL, plan.threadTs!);
    const draft = thread.find((m) => m.text === 'Release notes draft for v1.3.0')!;
    expect(visibleText(draft)).toContain('**Type:** Minor Release');
    // Direct pushes to main (no pull request) are not part of the plan.
    expect(text).not.toContain('admin portal search');
  });

  it('warns when the requested version disagrees with the changes, and takes the next slot without a date', async () => {
    const outcome = await planRelease(deps, { versionText: 'v1.2.1', userId: 'U0LEAD' });
    if (outcome.kind !== 'planned') throw new Error(outcome.reason);
    // A patch without a date: an hour from now.
    expect(Math.abs(outcome.plan.plannedAt.getTime() - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    const plan = await planned(outcome.plan.id);
    const card = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === plan.threadTs)!;
    expect(visibleText(card)).toContain(`⚠️ v1.2.1 is a patch release, but the new features (#${numbers.wallet}) call for a minor: plan v1.3.0 instead.`);

    const minor = await planRelease(deps, { versionText: 'v1.4.0', userId: 'U0LEAD' });
    if (minor.kind !== 'planned') throw new Error(minor.reason);
    expect(minor.plan.plannedAt).toEqual(nextSlots(bot.policy, 'minor', new Date(), 1)[0]!.at);
  });

  it('refuses a version planned already, a released one, and a bad date, recording nothing', async () => {
    expect(await planRelease(deps, { versionText: 'v1.3.0', userId: 'U0ENG' })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('already planned for 2030-12-05 14:00 UTC') });
    expect(await planRelease(deps, { versionText: 'v1.2.0', userId: 'U0ENG' })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('already been released') });
    expect(await planRelease(deps, { versionText: 'v1.5.0', whenText: 'next week', userId: 'U0ENG' })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('is not a date') });
    expect(await planRelease(deps, { versionText: 'v1.5.0', whenText: '2020-01-02', userId: 'U0ENG' })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('in the past') });
    expect(await bot.tminus.releasePlans.findByVersion('v1.5.0')).toBeUndefined();
  });

  it('cancels the plan and says why when GitHub refuses to compare', async () => {
    world.github.failNext('GET', /\/compare\//, 404);
    const outcome = await planRelease(deps, { versionText: 'v1.5.0', whenText: '2030-12-19', userId: 'U0LEAD' });
    if (outcome.kind !== 'planned') throw new Error(outcome.reason);
    const plan = await planned(outcome.plan.id, 'cancelled');
    const message = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === plan.threadTs)!;
    expect(message.text).toMatch(/^The plan for v1\.5\.0 could not be built: GitHub answered 404 .*run `\/release plan v1\.5\.0` again/);
    // Cancelled, so the version can be planned again.
    const again = await planRelease(deps, { versionText: 'v1.5.0', whenText: '2030-12-19', userId: 'U0LEAD' });
    expect(again.kind).toBe('planned');
    await planned(again.kind === 'planned' ? again.plan.id : '');
  });

  it('says there is nothing to release when nothing was merged since the last tag, and cancels the plan', async () => {
    world.github.addTag('v1.6.0');
    const outcome = await planRelease(deps, { versionText: 'v1.6.1', userId: 'U0LEAD' });
    if (outcome.kind !== 'planned') throw new Error(outcome.reason);
    const plan = await planned(outcome.plan.id, 'cancelled');
    const message = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === plan.threadTs)!;
    // Asked without a response_url (a draft picked up after a restart): the channel is the only place to say it.
    expect(message.text).toBe('Nothing merged since v1.6.0: no plan made for v1.6.1.');
    expect(plan.plan).toBeNull();
  });

  it('typed as /release plan with nothing merged: only the asker is told, nothing is posted in the channel', async () => {
    const before = world.slack.topLevel(RELEASES_CHANNEL).length;
    await world.slack.sendCommand(bot.eventsUrl, { text: 'plan v1.6.2', userId: 'U0LEAD' });
    const answer = await waitFor('the private answer', () => world.slack.responses().find((r) => JSON.stringify(r.body).includes('Nothing merged since v1.6.0: no plan made for v1.6.2')), 30_000);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(world.slack.topLevel(RELEASES_CHANNEL)).toHaveLength(before);
    await waitFor('the plan cancelled', () => bot.tminus.releasePlans.findByVersion('v1.6.2').then((p) => p === undefined || p.state === 'cancelled'));
  });
});
