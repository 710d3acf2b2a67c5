import { client, v2 } from '@datadog/datadog-api-client';
import { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoraRecords } from '../../src/integrations/database/dora-records.js';
import { doraSummary } from '../../src/services/dora.js';
import { DD_API_KEY, DD_APP_KEY, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, realClock, type Bot, type World } from '../support/harness.js';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

let world: World;
let bot: Bot;

/**
 * A pull request whose commits were written at `authoredAt` (oldest first) and pushed now, squash-merged
 * into main through the REST API as a person would.
 */
async function mergeWrittenEarlier(branch: string, title: string, commits: { authoredAt: Date; files: Record<string, string> }[]): Promise<number> {
  const octokit = new Octokit({ auth: world.github.token, baseUrl: world.github.url, retry: { enabled: false }, throttle: { enabled: false } });
  const repo = { owner: world.github.owner, repo: world.github.repo };
  world.github.createBranch(branch);
  for (const [i, c] of commits.entries()) world.github.commit(branch, `${title} (part ${i + 1})`, c.files, { authoredAt: c.authoredAt });
  const { data: pull } = await octokit.rest.pulls.create({ ...repo, title, head: branch, base: 'main' });
  await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number, merge_method: 'squash' });
  return pull.number;
}

/** GitHub requests tminus made, by method and path (after the repository's prefix). */
function requests(method: string, path: RegExp): number {
  return world.github.requests.filter((r) => r.method === method && path.test(r.path)).length;
}

beforeAll(async () => {
  world = await startWorld();
  bot = await startBot(world);
  await waitFor('the tags to be read from GitHub', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await world?.close();
});

describe('lead time for changes from what GitHub says a release carried', () => {
  it('records the merged pull requests with their first commits once, through GitHub failing, and shows the lead time', async () => {
    const t0 = Date.now();
    const firstOfA = new Date(t0 - 80 * HOUR);
    const firstOfB = new Date(t0 - 20 * HOUR);
    // #A's first commit is its earliest; a later one does not move it. Direct commits on main (#14, #15) carry no pull request.
    const a = await mergeWrittenEarlier('feature/top-up-limits', 'feat: top-up limits', [
      { authoredAt: firstOfA, files: { 'src/limits.ts': 'export const LIMIT = 100;\n' } },
      { authoredAt: new Date(t0 - 30 * HOUR), files: { 'src/limits.ts': 'export const LIMIT = 200;\n' } },
    ]);
    const b = await mergeWrittenEarlier('fix/receipt-totals', 'fix: receipt totals', [{ authoredAt: firstOfB, files: { 'src/receipts.ts': 'export const round = Math.round;\n' } }]);

    // GitHub fails the first reads of what the release carried: the job is retried and records once.
    const compare = /\/compare\/v1\.2\.0\.\.\.[0-9a-f]{40}$/;
    world.github.failNext('GET', compare, 502, 1);
    world.github.failNext('GET', /\/pulls\/\d+\/commits$/, 503, 1);

    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    await waitFor('v1.3.0 in production', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => (r?.finishedAt ? r : undefined)), 60_000);
    const records = new DoraRecords(bot.database.db, realClock);
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    await waitFor('the changes v1.3.0 carried to be recorded', () => records.changesRecorded(release.id), 90_000);

    const deployedAt = (await bot.tminus.store.findByVersion('v1.3.0'))!.finishedAt!;
    const stored = (await records.releasesBefore(new Date(Date.now() + 1_000))).find((r) => r.version === 'v1.3.0')!;
    expect(stored.previousVersion).toBe('v1.2.0');
    expect(stored.changes.sort((x, y) => x.number - y.number)).toEqual([
      { number: a, firstCommitAt: firstOfA },
      { number: b, firstCommitAt: firstOfB },
    ]);
    const recorded = (await bot.tminus.store.events(release.id)).filter((e) => e.action === 'dora.changes_recorded');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.details).toMatchObject({ pullRequests: expect.arrayContaining([a, b]), base: 'v1.2.0', head: release.targetSha });

    // A second delivery of the job records nothing more.
    await bot.tminus.jobs.queue.add('record-changes', { releaseId: release.id }, { jobId: 'record-changes-again' });
    await waitFor('the second delivery to finish', async () => (await bot.tminus.jobs.queue.getJob('record-changes-again'))?.isCompleted());
    expect((await bot.tminus.store.events(release.id)).filter((e) => e.action === 'dora.changes_recorded')).toHaveLength(1);
    expect((await records.releasesBefore(new Date(Date.now() + 1_000))).find((r) => r.version === 'v1.3.0')!.changes).toHaveLength(2);
    // Each read failed once and was asked again; the second delivery asked GitHub nothing.
    expect(requests('GET', compare)).toBe(3);
    expect(requests('GET', new RegExp(`/pulls/${a}/commits$`))).toBe(2);
    expect(requests('GET', new RegExp(`/pulls/${b}/commits$`))).toBe(1);

    // The median of the two lead times: first commit to the production deploy.
    const expected = (deployedAt.getTime() - firstOfA.getTime() + (deployedAt.getTime() - firstOfB.getTime())) / 2;
    const summary = await doraSummary({ dora: records, policy: bot.policy, clock: () => new Date() }, { from: new Date(Date.now() - 30 * DAY), to: new Date(Date.now() + 1_000), bucket: 'week' });
    expect(summary.figures.changes).toBe(2);
    expect(summary.figures.leadTimeMs).toBe(expected);

    await world.slack.sendCommand(bot.eventsUrl, { text: 'stats 30d', userId: 'U0ENG', channelId: RELEASES_CHANNEL });
    const figures = await waitFor('the DORA figures in the channel', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('DORA figures, last 30d')), 60_000);
    // 80 h and 20 h (and the minute of release day): 50 h, 2 days 2 hours, "high" (a day to a week).
    expect(visibleText(figures)).toContain('2d 2h median (2 pull requests)');

    // Datadog's DORA deployment names the commit deployed and its repository, and gives them back.
    const deployment = await waitFor('the DORA deployment in Datadog', () => world.datadog.doraDeployments().find((d) => d.version === 'v1.3.0'), 60_000);
    const repositoryUrl = `${world.github.url}/${world.github.owner}/${world.github.repo}`;
    expect(deployment.git).toEqual({ commitSha: release.targetSha, repositoryUrl });
    const api = new v2.DORAMetricsApi(
      client.createConfiguration({ authMethods: { apiKeyAuth: DD_API_KEY, appKeyAuth: DD_APP_KEY }, baseServer: new client.BaseServerConfiguration(world.datadog.url, {}) }),
    );
    const fetched = await api.getDORADeployment({ deploymentId: deployment.id });
    expect(fetched.data?.attributes?.git).toMatchObject({ commitSha: release.targetSha, repositoryId: repositoryUrl.replace(/^https?:\/\//, '') });
  }, 180_000);

  it('a release whose reading was lost (with Redis\'s data) is read again by the reconciler, from its own previous version', async () => {
    await waitFor('v1.3.0 to be over', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed' || r?.state === 'stable'), 60_000);
    const firstOfC = new Date(Date.now() - 6 * HOUR);
    const c = await mergeWrittenEarlier('fix/top-up-rounding', 'fix: top-up rounding', [{ authoredAt: firstOfC, files: { 'src/limits.ts': 'export const LIMIT = 250;\n' } }]);
    const compare = /\/compare\/v1\.3\.0\.\.\.[0-9a-f]{40}$/;
    world.github.failNext('GET', compare, 502, 1);

    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.1', userId: 'U0ENG' });
    const release = await waitFor('v1.3.1 in production', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => (r?.finishedAt ? r : undefined)), 60_000);
    // The first reading failed and waits for its retry; then Redis loses it.
    const job = await waitFor('the reading to wait for its retry', async () => {
      const found = await bot.tminus.jobs.queue.getJob(`record-changes-${release.id}`);
      return found && (await found.getState()) === 'delayed' ? found : undefined;
    });
    await job.remove();
    await bot.stop();
    bot = await startBot(world);

    const records = new DoraRecords(bot.database.db, realClock);
    await waitFor('the reconciler to read what v1.3.1 carried', () => records.changesRecorded(release.id), 60_000);
    const stored = (await records.releasesBefore(new Date(Date.now() + 1_000))).find((r) => r.version === 'v1.3.1')!;
    // Only what was merged since v1.3.0: the pull requests v1.3.0 carried are not counted again.
    expect(stored.changes).toEqual([{ number: c, firstCommitAt: firstOfC }]);
    expect(requests('GET', compare)).toBe(2);
  }, 180_000);
});
