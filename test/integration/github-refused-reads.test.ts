import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * A read GitHub refuses for good (403: a token without the permission) does not hold a release: the
 * auxiliary reads of the deploy path (who answered the production review, the deployments waiting for one)
 * are said once, audited, and the release follows the run's own status and conclusion.
 */
const POLICY = `${FAST_TIMINGS}
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
  major: { approvers: [] }
productionApproval: { appliesTo: [patch, minor, major] }
roles:
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
`;

const APPROVALS = /\/actions\/runs\/\d+\/approvals$/;
const PENDING = /\/actions\/runs\/\d+\/pending_deployments$/;

describe('auxiliary GitHub reads refused for good', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    world.github.protectEnvironment('production', [world.github.tokenOwner, 'octocat']);
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const state = async (version: string) => (await bot.tminus.store.findByVersion(version))?.state;
  const untilState = (version: string, wanted: string, timeoutMs = 30_000) =>
    waitFor(`${version} to be ${wanted}`, () => state(version).then((s) => s === wanted), timeoutMs);
  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  const runOf = (version: string) => waitFor(`the run of ${version}`, () => world.github.runs().find((r) => r.head_branch === version));
  const refusals = async (version: string) =>
    (await bot.tminus.store.events((await bot.tminus.store.findByVersion(version))!.id)).filter((e) => e.action === 'github.read_refused');

  async function start(version: string): Promise<StoredMessage> {
    world.github.commit('main', `fix: ${version} (#${version.replace(/\D/g, '')})`);
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
  }

  it('the review history answers 403: approved in GitHub’s UI, the release follows the run and completes', async () => {
    const top = await start('v1.2.1');
    await untilState('v1.2.1', 'awaiting_production_approval');
    // From now on the token may not read the review history (GitHub's 403 JSON error body, every time).
    world.github.failNext('GET', APPROVALS, 403, 10_000);
    world.github.reviewAs((await runOf('v1.2.1')).id, 'octocat', 'approved', 'ship it');

    await untilState('v1.2.1', 'completed');
    const said = thread(top).filter((m) => visibleText(m).includes('could not read who answered the production review on GitHub: 403'));
    expect(said).toHaveLength(1);
    expect(visibleText(said[0]!)).toContain("following the run's own status");
    expect(await refusals('v1.2.1')).toEqual([expect.objectContaining({ details: expect.objectContaining({ read: 'reviews', status: 403 }) })]);
    const events = await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.2.1'))!.id);
    const approved = events.find((e) => e.action === 'release.production_approved_on_github');
    expect(approved).toMatchObject({ actor: 'github', details: { reviewer: null } });
    await waitFor('the complete message', () => thread(top).find((m) => m.text.includes('COMPLETED')));
  });

  it('the review history answers 403 and the deployment is rejected on GitHub: the release ends with the run’s conclusion', async () => {
    const top = await start('v1.2.2');
    await untilState('v1.2.2', 'awaiting_production_approval');
    // The 403 on the review history set by the test before still answers every time.
    world.github.reviewAs((await runOf('v1.2.2')).id, 'octocat', 'rejected', 'not today');
    await untilState('v1.2.2', 'failed');
    expect((await bot.tminus.store.findByVersion('v1.2.2'))!.failureReason).toContain('the deploy workflow run ended with');
    expect(thread(top).filter((m) => visibleText(m).includes('could not read who answered the production review'))).toHaveLength(1);
    expect(await refusals('v1.2.2')).toHaveLength(1);
  });

  it('the pending deployments answer 403: no Slack gate can open, the thread says so once, and an approval in GitHub’s UI completes the release', async () => {
    world.github.failNext('GET', PENDING, 403, 10_000);
    const top = await start('v1.2.3');
    const run = await runOf('v1.2.3');
    await waitFor('the run to wait at production', () => world.github.runs().find((r) => r.id === run.id)?.status === 'waiting');
    const said = 'could not read which deployments of the run wait for a review on GitHub: 403';
    const note = await waitFor('the note', () => thread(top).find((m) => visibleText(m).includes(said)));
    expect(visibleText(note)).toContain("approve the deployment in GitHub's UI");
    expect(await state('v1.2.3')).toBe('deploying');
    world.github.reviewAs(run.id, 'octocat', 'approved');
    await untilState('v1.2.3', 'completed');
    expect(thread(top).filter((m) => visibleText(m).includes('could not read which deployments'))).toHaveLength(1);
    expect((await refusals('v1.2.3')).map((e) => e.details.read)).toEqual(['pendingDeployments']);
  });
});
