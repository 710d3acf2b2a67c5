import { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { deployWorkflow, FAST_POLICY, FAST_TIMINGS, mergePullRequest, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

// Versions as the guide uses them: release candidates, backport patches, and the types' deployment deadlines.

const SLOW = 180_000;

const hasAction = (m: StoredMessage, prefix: string) => JSON.stringify(m.blocks).includes(`"action_id":"${prefix}`);

function helpers(getWorld: () => World, getBot: () => Bot) {
  const command = async (text: string, userId = 'U0ENG') =>
    visibleText((await getWorld().slack.sendCommand(getBot().eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const reaches = async (version: string, ...states: string[]) => {
    let last = 'not recorded';
    return waitFor(
      `${version} to be ${states.join(' or ')}`,
      () =>
        getBot().tminus.store.findByVersion(version).then((r) => {
          if (r?.state !== undefined && !states.includes(r.state)) last = `${r.state}${r.failureReason ? `: ${r.failureReason}` : ''}`;
          if (r?.state !== undefined && ['failed', 'rejected', 'aborted'].includes(r.state) && !states.includes(r.state)) throw new Error(`${version} is ${last}`);
          return r && states.includes(r.state) ? r : undefined;
        }),
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} (last seen: ${last})`);
    });
  };
  const octokit = () => new Octokit({ auth: getWorld().github.token, baseUrl: getWorld().github.url, retry: { enabled: false }, throttle: { enabled: false } });
  const repo = () => ({ owner: getWorld().github.owner, repo: getWorld().github.repo });
  /** What GitHub's "Latest" badge is on, as anyone reading the repository sees it. */
  const latestOnGitHub = async () => (await octokit().rest.repos.getLatestRelease(repo())).data.tag_name;
  const githubRelease = (tag: string) =>
    waitFor(`the GitHub release ${tag}`, async () => (await octokit().rest.repos.getReleaseByTag({ ...repo(), tag }).catch(() => undefined))?.data, 90_000);
  return { command, reaches, latestOnGitHub, githubRelease };
}

describe('a release candidate is a GitHub pre-release', () => {
  let world: World;
  let bot: Bot;
  const { command, reaches, latestOnGitHub, githubRelease } = helpers(() => world, () => bot);

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: FAST_POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('v1.3.0-rc.1 is published as a pre-release and never Latest; the final v1.3.0 becomes Latest', async () => {
    expect(await command('start v1.3.0-rc.1')).toContain('Starting minor release v1.3.0-rc.1');
    await reaches('v1.3.0-rc.1', 'completed', 'stable');
    const rc = await githubRelease('v1.3.0-rc.1');
    expect(rc).toMatchObject({ prerelease: true, draft: false });
    expect(await latestOnGitHub()).toBe('v1.2.0');

    // The candidate is what production runs; the final version is still a minor.
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    const final = await reaches('v1.3.0', 'completed', 'stable');
    expect(final.previousVersion).toBe('v1.3.0-rc.1');
    expect(await githubRelease('v1.3.0')).toMatchObject({ prerelease: false });
    expect(await latestOnGitHub()).toBe('v1.3.0');
  }, SLOW);
});

const BACKPORT_ROLES = `${FAST_TIMINGS}
releaseTypes:
  minor: { approvers: [] }
roles:
  engineeringLead: { users: [U0LEAD] }
  onCall: { users: [U0ONCALL] }
`;
/** The same, with the backport workflow set (FAST_TIMINGS has a deploy: mapping of its own). */
const WITH_BACKPORT = BACKPORT_ROLES.replace('deploy:\n', 'deploy:\n  backportWorkflow: backport.yml\n');

describe('a backport patch on an older minor line', () => {
  let world: World;
  let bot: Bot;
  const { command, reaches, latestOnGitHub, githubRelease } = helpers(() => world, () => bot);

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('backport.yml', {
      trigger: 'tag',
      jobs: [{ name: 'deploy-v1.2-line', steps: ['Deploy the v1.2 line', 'Run smoke tests'], durationMs: 1_500 }],
    });
    // The v1.2 line's branch, from v1.2.0, with a security fix on it.
    const v120 = world.github.tags().find((t) => t.name === 'v1.2.0')!.sha;
    world.github.createBranch('release/v1.2', v120);
    world.github.commit('release/v1.2', 'fix: escape receipt names (security)', { 'src/receipt.ts': 'escaped' });
    bot = await startBot(world, { policy: BACKPORT_ROLES });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('is refused with the key to set while the policy names no backport workflow, before anything is tagged', async () => {
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    await reaches('v1.3.0', 'completed', 'stable');
    await githubRelease('v1.3.0');

    expect(await command('start v1.2.3')).toContain('v1.2.3 is not the next patch on the v1.2 line: a backport must be v1.2.1');
    expect(await command('start v1.1.4')).toContain('v1.1.4 is not above the latest release v1.3.0');
    const refused = await command('start v1.2.1');
    expect(refused).toContain('v1.2.1 is a backport patch on the v1.2 line (production runs v1.3.0)');
    expect(refused).toContain('`deploy.backportWorkflow`');
    expect(await bot.tminus.store.findByVersion('v1.2.1')).toBeUndefined();
    expect(world.github.tags().map((t) => t.name)).not.toContain('v1.2.1');
  }, SLOW);

  it('with the backport workflow set: the patch gate, tagged on the line, deployed by its workflow, never production nor Latest', async () => {
    await bot.stop();
    bot = await startBot(world, { policy: WITH_BACKPORT });
    const lineHead = world.github.headOf('release/v1.2')!;

    expect(await command('start v1.2.1')).toContain('Starting patch release v1.2.1');
    const waiting = await bot.tminus.store.findByVersion('v1.2.1');
    expect(waiting).toMatchObject({ type: 'patch', state: 'awaiting_approval', previousVersion: 'v1.2.0', backport: { line: 'v1.2', branch: 'release/v1.2', workflow: 'backport.yml' } });
    const top = await waitFor('the v1.2.1 message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('v1.2.1')));
    const gate = await waitFor('the patch gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => hasAction(m, 'gate_approve')));
    expect(visibleText(gate)).toMatch(/engineering lead/i);
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0LEAD', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });

    const done = await reaches('v1.2.1', 'completed', 'stable');
    expect(world.github.tags().find((t) => t.name === 'v1.2.1')?.sha).toBe(lineHead);
    expect(done).toMatchObject({ targetBranch: 'release/v1.2', targetSha: lineHead, previousVersion: 'v1.2.0' });
    const followed = world.github.runs().find((r) => r.id === done.deployRunId);
    expect(followed).toMatchObject({ path: expect.stringContaining('backport.yml'), head_branch: 'v1.2.1' });

    const events = await bot.tminus.store.events(done.id);
    expect(events).toContainEqual(expect.objectContaining({ action: 'release.backport', actor: 'U0ENG', details: expect.objectContaining({ line: 'v1.2', workflow: 'backport.yml', productionRuns: 'v1.3.0' }) }));
    expect(events).toContainEqual(expect.objectContaining({ action: 'release.deploy_run_found', details: expect.objectContaining({ workflow: 'backport.yml' }) }));

    // Published, not Latest; and production's main line still runs v1.3.0.
    expect(await githubRelease('v1.2.1')).toMatchObject({ prerelease: false });
    expect(await latestOnGitHub()).toBe('v1.3.0');
    expect(await command('hotfix v1.2.2 checkout is down', 'U0ONCALL')).toContain('A hotfix is a patch above what production runs (v1.3.0)');
    expect(await command('start v1.2.1')).toContain('v1.2.1 has already been released');
    expect(await command('start v1.3.1')).toContain('Starting patch release v1.3.1');
    expect(await bot.tminus.store.findByVersion('v1.3.1')).toMatchObject({ previousVersion: 'v1.3.0', backport: null });
  }, SLOW);
});

const DEADLINES = `${FAST_TIMINGS}
releaseTypes:
  patch: { approvers: [], deployWithin: 12s }
  minor: { approvers: [], deployWithin: 2s }
  major: { approvers: [] }
`;

describe('deployWithin: the types’ deployment deadlines are watched', () => {
  let world: World;
  let bot: Bot;
  const { command, reaches } = helpers(() => world, () => bot);
  const warnings = () => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.includes('waited longer than'));
  const warningsNaming = (pr: number) => warnings().filter((m) => new RegExp(`#${pr}\\b`).test(visibleText(m)));
  const start = () => startBot(world, { policy: DEADLINES, planScheduleCron: '*/1 * * * * *' });

  beforeAll(async () => {
    world = await startWorld();
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow({ images: 800, staging: 600, production: 1_500, verify: 600 }));
    bot = await start();
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a fix released in time is never warned; a minor release day past 2 hours (here 2s) is said once in the thread and #releases', async () => {
    const inTime = await mergePullRequest(world, 'fix-totals', 'Totals round the wrong way', { 'src/totals.ts': 'fixed' }, ['bug']);
    expect(await command('start v1.2.1')).toContain('Starting patch release v1.2.1');
    await reaches('v1.2.1', 'completed', 'stable');

    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    const minor = await reaches('v1.3.0', 'completed', 'stable');
    const late = (m: StoredMessage) => m.text.includes('Release v1.3.0 has not completed within 2s');
    await waitFor('the late warning in the thread', () => world.slack.thread(RELEASES_CHANNEL, minor.threadTs!).some(late));
    const inThread = world.slack.thread(RELEASES_CHANNEL, minor.threadTs!).filter(late);
    expect(inThread).toHaveLength(1);
    expect(visibleText(inThread[0]!)).toContain('releaseTypes.minor.deployWithin');
    await waitFor('the late warning in #releases', () => world.slack.topLevel(RELEASES_CHANNEL).some(late));
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter(late)).toHaveLength(1);
    expect((await bot.tminus.store.events(minor.id)).filter((e) => e.action === 'release.deploy_within_passed')).toHaveLength(1);

    // A fix merged now waits past 24 hours (here 12s): warned once, with how late; the one released in time never.
    const waiting = await mergePullRequest(world, 'fix-refunds', 'fix: refunds show twice', { 'src/refunds.ts': 'fixed' });
    const warning = await waitFor('the warning about the waiting fix', () => warningsNaming(waiting)[0], 60_000);
    const text = visibleText(warning);
    expect(text).toContain('fix: refunds show twice');
    expect(text).toMatch(/merged \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, \d+s late/);
    expect(text).toContain('production runs v1.3.0');
    expect(text).toContain('/release start v1.3.1');
    expect(warningsNaming(inTime)).toHaveLength(0);
  }, SLOW);

  it('each pull request is warned once, across restarts', async () => {
    const before = warnings().length;
    await bot.stop();
    bot = await start();
    const next = await mergePullRequest(world, 'fix-fees', 'Fees counted twice', { 'src/fees.ts': 'fixed' }, ['fix']);
    const warning = await waitFor('the warning about the next fix', () => warningsNaming(next)[0], 60_000);
    // Scans after the restart saw the earlier fix still waiting and said nothing more about it.
    expect(warnings()).toHaveLength(before + 1);
    expect(visibleText(warning)).not.toContain('refunds show twice');
  }, SLOW);
});
