import { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/domain/duration.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { visibleText, waitFor } from '../support/harness.js';
import { approveWhatIsAsked, postJson, startTestSandbox, type TestSandbox } from './start-test-sandbox.js';

/**
 * The sandbox's repository is made of merged pull requests, as on GitHub: a release records the ones it
 * ships for DORA's lead time, the Home and /release stats show it, and a fix lands on a hotfix branch from
 * the world panel through a pull request into it.
 */
describe('pull requests in the sandbox world', () => {
  let world: TestSandbox;

  beforeAll(async () => {
    world = await startTestSandbox({ speed: 1200 });
    await waitFor('the tags to be read from GitHub', () => world.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  interface PageState {
    messages: StoredMessage[];
    homes: { user: string; view: { blocks: unknown[] } }[];
    github: { commits: { sha: string; message: string }[]; branches: string[]; releases: { tag: string; body: string }[]; tags: { name: string; sha: string }[] };
  }
  const state = async () => (await (await fetch(`${world.base}/sandbox/state`)).json()) as PageState;
  const command = (text: string, userId = 'U0ENG') => postJson(`${world.base}/sandbox/slack/command`, { userId, text });

  /** Until `check` finds something, approving whatever tminus asks to be approved, as the leads. */
  function approvingUntil<T>(what: string, check: (s: PageState) => T | undefined, timeoutMs = 60_000) {
    const clicked = new Set<string>();
    return waitFor(what, async () => {
      const s = await state();
      await approveWhatIsAsked(world.base, s.messages, clicked);
      return check(s);
    }, timeoutMs);
  }

  /** What tminus recorded of a release's changes for DORA (its audit log). */
  async function recordedChanges(version: string) {
    const release = await waitFor(`${version} in production`, () => world.sandbox.tminus.store.findByVersion(version).then((r) => (r?.finishedAt ? r : undefined)), 60_000);
    const event = await waitFor(`the changes ${version} carried to be recorded`, async () =>
      (await world.sandbox.tminus.store.events(release.id)).find((e) => e.action === 'dora.changes_recorded'), 60_000);
    return { release, details: event.details as { pullRequests: number[]; base: string } };
  }

  /** The median, over the pull requests, of their first commit to the deployment: DORA's lead time. */
  async function leadTime(numbers: number[], deployedAt: Date): Promise<number> {
    const { github } = world.sandbox;
    const octokit = new Octokit({ auth: github.token, baseUrl: github.url, throttle: { enabled: false }, retry: { enabled: false } });
    const times: number[] = [];
    for (const pull_number of numbers) {
      const { data } = await octokit.rest.pulls.listCommits({ owner: github.owner, repo: github.repo, pull_number });
      times.push(deployedAt.getTime() - Math.min(...data.flatMap((c) => [c.commit.author?.date, c.commit.committer?.date]).map((d) => Date.parse(d ?? ''))));
    }
    const sorted = times.sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }

  it('a release ships the demo pull requests and one merged from the panel: recorded with their lead time, shown on the Home and in /release stats', async () => {
    const merged = await postJson(`${world.base}/sandbox/github/merge`, { title: 'fix: receipts in the wrong currency', userId: 'U0QA' });
    expect(merged.status).toBe(200);
    const number = Number(merged.body.number);
    expect((await state()).github.commits[0]).toEqual(expect.objectContaining({ sha: merged.body.sha, message: `fix: receipts in the wrong currency (#${number})` }));

    expect((await command('/release start v1.3.0')).status).toBe(200);
    await approvingUntil('v1.3.0 released on GitHub', (s) => s.github.releases.find((r) => r.tag === 'v1.3.0'));
    const { release, details } = await recordedChanges('v1.3.0');
    // The five pull requests the demo merged since v1.2.0, and the one merged from the panel.
    expect(details.base).toBe('v1.2.0');
    expect(details.pullRequests).toHaveLength(6);
    expect(details.pullRequests).toContain(number);

    // GitHub's notes of the release list the same pull requests, in GitHub's words.
    const notes = (await state()).github.releases.find((r) => r.tag === 'v1.3.0')!.body;
    const webUrl = `${world.sandbox.github.url}/${world.sandbox.github.fullName}`;
    expect(notes).toContain(`* fix: receipts in the wrong currency by @quinn in ${webUrl}/pull/${number}`);
    expect(notes).toContain('* feat: admin portal search by @erin in');
    expect(notes.match(/^\* .+ by @\S+ in \S+\/pull\/\d+$/gm)).toHaveLength(6);
    expect(notes).toContain(`**Full Changelog**: ${webUrl}/compare/v1.2.0...v1.3.0`);

    const expected = formatDuration(await leadTime(details.pullRequests, release.finishedAt!));
    await postJson(`${world.base}/sandbox/slack/home-opened`, { userId: 'U0ENG' });
    const home = await waitFor('the Home to show the lead time', async () => {
      const view = (await state()).homes.find((h) => h.user === 'U0ENG')?.view;
      const text = view ? visibleText({ text: '', blocks: view.blocks }) : '';
      return text.includes('(median of 6 pull requests)') ? text : undefined;
    });
    expect(home).toContain(`*Lead time for changes:* ${expected} (median of 6 pull requests)`);

    await command('/release stats 30d');
    const figures = await waitFor('the DORA figures in the channel', async () => (await state()).messages.find((m) => !m.threadTs && m.text.startsWith('DORA figures, last 30d')));
    expect(visibleText(figures)).toContain(`${expected} median (6 pull requests)`);
  }, 180_000);

  it('merges a fix into the hotfix branch tminus cut from production’s tag: the hotfix ships it, and records it', async () => {
    await waitFor('v1.3.0 to be over', () => world.sandbox.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed' || r?.state === 'stable'), 60_000);
    const refused = await postJson(`${world.base}/sandbox/github/merge`, { title: 'fix: too early', base: 'hotfix/v1.3.1' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('There is no branch hotfix/v1.3.1');

    expect((await command('/release hotfix v1.3.1 checkout double-charges cards --severity high')).status).toBe(200);
    await waitFor('the hotfix branch', async () => (await state()).github.branches.includes('hotfix/v1.3.1'), 60_000);
    const mainHead = world.sandbox.github.headOf('main');
    const fix = await postJson(`${world.base}/sandbox/github/merge`, { title: 'fix: charge cards once', base: 'hotfix/v1.3.1', userId: 'U0ONCALL' });
    expect(fix.status).toBe(200);
    const sha = String(fix.body.sha);
    expect(world.sandbox.github.headOf('hotfix/v1.3.1')).toBe(sha);
    expect(world.sandbox.github.headOf('main')).toBe(mainHead);

    // The hotfix's readiness reads the fix on its branch; once approved, its tag is that commit.
    await approvingUntil('the hotfix to ship the fix', (s) => {
      const top = s.messages.find((m) => !m.threadTs && m.text.startsWith('🚨 Hotfix v1.3.1'));
      return top && visibleText(top).includes(`\`${sha.slice(0, 7)}\` on \`hotfix/v1.3.1\`, 1 commit beyond production v1.3.0`) ? top : undefined;
    });
    const tag = await approvingUntil('the v1.3.1 tag', (s) => s.github.tags.find((t) => t.name === 'v1.3.1'), 90_000);
    expect(tag.sha).toBe(sha);
    const { details } = await recordedChanges('v1.3.1');
    expect(details).toMatchObject({ base: 'v1.3.0', pullRequests: [Number(fix.body.number)] });
  }, 240_000);
});
