import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockTime } from '../../src/messages/format.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { DEPLOY_WORKFLOW, RELEASES_CHANNEL, deployWorkflow, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const MINUTE = 60_000;
const SLOW = 120_000;

/** The guide's hotfix steps (15 min, 30 min, 1 hour from detection); escalation a second after a deadline; a watch in seconds. */
const POLICY = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
  postDeployChecks: { retryEvery: 1s }
planning:
  enforceCadence: false
roles:
  engineeringLeadership: { users: [U0HEAD] }
  engineeringLead: { users: [U0LEAD] }
  vpEng: { users: [U0VP] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG, U0ENG2] }
releaseTypes:
  hotfix:
    escalateAfter: 1s
verification:
  schedule:
    - { label: First minutes, until: 3s, every: 1s }
  retryAfter: 1s
  checks:
    errorRate: { every: 1s }
    latencyP99: { every: 1s }
    cpu: { every: 1s }
    memory: { every: 1s }
    cacheHitRate: { every: 1s }
    connectionPool: { every: 1s }
`;

const hasAction = (m: StoredMessage, prefix: string) => JSON.stringify(m.blocks).includes(`"action_id":"${prefix}`);

/** A deploy run whose production job waits on the `production` environment, which tminus's token may review. */
function gatedDeploy(world: World): void {
  const script = deployWorkflow();
  script.jobs[2]!.environment = 'production';
  world.github.defineWorkflow(DEPLOY_WORKFLOW, script);
  world.github.protectEnvironment('production', [world.github.tokenOwner]);
}

/** Healthy production, one point a second, so post-release verification passes. */
function healthyDatadog(world: World): void {
  const series = (scope: string, value: number) => (from: number, to: number) => [
    { scope, points: Array.from({ length: Math.max(1, Math.floor((to - from) / 1000)) }, (_, i) => [to - i * 1000, value] as [number, number]) },
  ];
  world.datadog.setSeries(/trace\.web\.request\.errors/, series('*', 0.02));
  world.datadog.setSeries(/^p99:trace\.web\.request/, series('*', 210));
  world.datadog.setSeries(/runtime\.node\.cpu/, series('host:web-1', 40));
  world.datadog.setSeries(/container\.memory/, series('host:web-1', 60));
  world.datadog.setSeries(/keyspace_hits/, series('*', 96));
  world.datadog.setSeries(/percent_usage_connections/, series('*', 50));
}

function harness(getWorld: () => World, getBot: () => Bot) {
  const command = async (text: string, userId = 'U0ENG') =>
    visibleText((await getWorld().slack.sendCommand(getBot().eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const click = (userId: string, message: StoredMessage, actionId: string) =>
    getWorld().slack.sendBlockAction(getBot().eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId });
  const top = (version: string) => waitFor(`the hotfix message of ${version}`, () => getWorld().slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith(`🚨 Hotfix ${version}`)));
  const thread = async (version: string) => getWorld().slack.thread(RELEASES_CHANNEL, (await top(version)).ts);
  const release = async (version: string) => (await getBot().tminus.store.findByVersion(version))!;
  const actions = async (version: string) => (await getBot().tminus.store.events((await release(version)).id)).map((e) => `${e.action}:${e.actor}`);
  const ephemeral = (userId: string, text: string) => waitFor(`"${text}" told to ${userId}`, () => getWorld().slack.ephemerals(userId).find((e) => e.text.includes(text)));
  return { command, click, top, thread, release, actions, ephemeral };
}

describe('/release hotfix: the emergency lane, in the guide’s order', () => {
  let world: World;
  let bot: Bot;
  const { command, click, top, thread, release, actions, ephemeral } = harness(
    () => world,
    () => bot,
  );

  beforeAll(async () => {
    world = await startWorld();
    // No CI runs on its own here: each test says what CI reports on the hotfix's commit.
    world.github.runCiOnEveryCommit([]);
    gatedDeploy(world);
    healthyDatadog(world);
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('checks the version, the severity and the detection time', async () => {
    expect(await command('hotfix v1.3.0 checkout is down')).toContain('A hotfix is a patch above what production runs (v1.2.0): use v1.2.1, not v1.3.0');
    expect(await command('hotfix v1.2.1')).toContain('Usage: `/release hotfix vX.Y.Z <what is broken>');
    expect(await command('hotfix v1.2.1 checkout is down --severity low')).toContain('severity is critical or high');
    const inAnHour = new Date(Date.now() + 60 * MINUTE).toISOString();
    expect(await command(`hotfix v1.2.1 checkout is down --detected ${inAnHour}`)).toContain('is in the future');
    const twoDaysAgo = new Date(Date.now() - 48 * 60 * MINUTE).toISOString();
    expect(await command(`hotfix v1.2.1 checkout is down --detected ${twoDaysAgo}`)).toContain('more than 24 hours ago');
    expect(await command('hotfix v1.2.1 checkout is down --detected soon')).toContain('give HH:MM (today, UTC) or an ISO time');
    expect(await bot.tminus.store.latest()).toBeUndefined();
  });

  it('detected 20 minutes ago: deadlines from detection, approval refused until CI tested it, then the VP Eng approves and it deploys with no production gate', async () => {
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    const detected = new Date(Math.floor((Date.now() - 20 * MINUTE) / MINUTE) * MINUTE);
    const at = (minutes: number) => clockTime(new Date(detected.getTime() + minutes * MINUTE), 'UTC');
    const answer = await command(`hotfix v1.2.1 checkout double-charges cards --severity high --detected ${detected.toISOString()}`);
    expect(answer).toContain('Hotfix v1.2.1 raised');
    expect(answer).toContain(`Detected at ${at(0)}`);

    const message = await top('v1.2.1');
    const shown = visibleText(message);
    expect(shown).toContain(`*Detected at*\n${at(0)}`);
    expect(shown).toContain(`❗ Emergency call initiated — overdue since ${at(15)}`);
    expect(shown).toContain(`⏳ Hotfix developed + tested — due by ${at(30)}`);
    expect(shown).toContain(`⏳ Hotfix approved by VP Eng — due by ${at(60)} · waiting for the test`);
    expect(hasAction(message, 'gate_approve')).toBe(true);

    // The emergency call was due 5 minutes before the command: said at once, and escalated a second past its deadline.
    const reminder = await waitFor('the overdue reminder', async () => (await thread('v1.2.1')).find((m) => m.text.includes('"Emergency call initiated" is overdue')));
    expect(visibleText(reminder)).toContain(`due by ${at(15)}, 15m after detection at ${at(0)}`);
    expect(visibleText(reminder)).toContain('<@U0ONCALL>');
    const escalation = await waitFor('the escalation', async () => (await thread('v1.2.1')).find((m) => m.text.includes('Escalation to the VP Eng')));
    expect(visibleText(escalation)).toContain('<@U0VP>');
    await click('U0ONCALL', await top('v1.2.1'), 'hotfix_step:emergencyCall');
    await waitFor('the step ticked', async () => visibleText(await top('v1.2.1')).includes('✅ Emergency call initiated — <@U0ONCALL>'));

    // Only the VP Eng approves, and not before the hotfix is tested.
    await click('U0HEAD', await top('v1.2.1'), 'gate_approve');
    await ephemeral('U0HEAD', "you can't approve this: it needs the VP Eng");
    await click('U0VP', await top('v1.2.1'), 'gate_approve');
    const refusal = await ephemeral('U0VP', 'Hotfix v1.2.1 is not tested yet');
    expect(refusal.text).toContain('ticked when CI passes on its commit');
    expect((await release('v1.2.1')).state).toBe('awaiting_approval');

    // A hotfix is a patch on what production runs: tminus cut hotfix/v1.2.1 from v1.2.0's tag, not from main,
    // whose head carries v1.3.0's unreleased change. Until the fix is pushed there, there is nothing to test.
    const unreleased = world.github.commit('main', 'feat: v1.3.0 work, not released (#15)');
    const cut = await waitFor('the hotfix branch cut', async () => (await thread('v1.2.1')).find((m) => m.text.startsWith('✂️ tminus cut hotfix/v1.2.1 from v1.2.0')));
    const production = world.github.tags().find((t) => t.name === 'v1.2.0')!.sha;
    expect(world.github.headOf('hotfix/v1.2.1')).toBe(production);
    expect(visibleText(cut)).toContain('Push the fix to `hotfix/v1.2.1`');
    await waitFor('the same code as production shown', async () => visibleText(await top('v1.2.1')).includes('the same code production runs (v1.2.0)'));
    expect(world.github.requests.some((r) => r.path.endsWith(`/commits/${production}/check-runs`))).toBe(false);

    // CI on the hotfix's commit (the head of its branch): still running, then green.
    const head = world.github.commit('hotfix/v1.2.1', 'fix: charge cards once (#16)');
    await waitFor('what it ships shown', async () =>
      visibleText(await top('v1.2.1')).includes(`*Ships:* \`${head.slice(0, 7)}\` on \`hotfix/v1.2.1\`, 1 commit beyond production v1.2.0 (\`${head.slice(0, 7)}\` fix: charge cards once (#16))`),
    );
    world.github.setCheckRuns(head, [{ name: 'unit', status: 'in_progress', conclusion: null }]);
    world.github.setCommitStatus(head, 'ci/lint', 'success');
    await waitFor('CI read while it runs', () => world.github.requests.filter((r) => r.path.endsWith(`/commits/${head}/check-runs`)).length >= 3);
    expect((await release('v1.2.1')).hotfix?.steps.hotfixTested).toBeUndefined();
    world.github.setCheckRuns(head, [{ name: 'unit', conclusion: 'success' }]);
    await waitFor('"tested" ticked by CI', async () => visibleText(await top('v1.2.1')).includes(`✅ Hotfix developed + tested — tested: CI passed on \`${head.slice(0, 7)}\``));
    const tested = await waitFor('the thread told', async () => (await thread('v1.2.1')).find((m) => m.text.startsWith('✅ Hotfix v1.2.1 tested')));
    expect(visibleText(tested)).toContain(`CI passed on \`${head.slice(0, 7)}\` (hotfix/v1.2.1, 2 checks)`);
    expect(visibleText(await top('v1.2.1'))).not.toContain('waiting for the test');

    // A commit pushed after the test is not what ships: the tag is on the commit CI passed.
    world.github.commit('hotfix/v1.2.1', 'docs: untested change (#17)');
    await click('U0VP', await top('v1.2.1'), 'gate_approve');
    await waitFor('the hotfix tag', () => world.github.tags().find((t) => t.name === 'v1.2.1'));
    expect(world.github.tags().find((t) => t.name === 'v1.2.1')?.sha).toBe(head);
    // What it ships carries production's code and the fix, not main's unreleased work.
    const shipped = (await octokitCompare(world, 'v1.2.0', 'v1.2.1')).map((c) => c.sha);
    expect(shipped).toEqual([head]);
    expect(shipped).not.toContain(unreleased);

    // The run waits on production: tminus answers GitHub itself, once, naming the VP Eng and the policy key.
    const run = await waitFor('the deploy run', () => world.github.runs().find((r) => r.head_branch === 'v1.2.1'));
    await waitFor('the deploy', async () => visibleText(await top('v1.2.1')).includes('✅ Deployed to production'), 60_000);
    const reviews = world.github.reviews(run.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'approved', reviewer: world.github.tokenOwner });
    expect(reviews[0]!.comment).toContain('U0VP');
    expect(reviews[0]!.comment).toContain('productionApproval.appliesTo');
    const told = (await thread('v1.2.1')).filter((m) => m.text.startsWith('🚀 Production deploy of v1.2.1 approved by tminus'));
    expect(told).toHaveLength(1);
    expect(visibleText(told[0]!)).toContain('<@U0VP>');
    expect(visibleText(told[0]!)).toContain('“Immediately”');
    expect((await thread('v1.2.1')).some((m) => m.text.startsWith('Production deploy of v1.2.1') && hasAction(m, 'gate_approve'))).toBe(false);

    // Monitored once its first post-release verification ran.
    await waitFor('"monitored" ticked', async () => visibleText(await top('v1.2.1')).includes('✅ Monitored after the deploy — first post-release verification ran'), 60_000);
    await waitFor('completion', () => release('v1.2.1').then((r) => r.state === 'completed' || r.state === 'stable'), 60_000);
    const done = visibleText(await top('v1.2.1'));
    expect(done).toMatch(/✅ Hotfix approved by VP Eng — <@U0VP>/);
    expect(done).toMatch(/✅ Deployed to production/);

    const log = await actions('v1.2.1');
    expect(log).toEqual(
      expect.arrayContaining([
        'hotfix.requested:U0ENG',
        'hotfix.detected:U0ENG',
        'hotfix.branch_cut:tminus',
        'hotfix.ci_passed:github:ci',
        'hotfix.step_done:github:ci',
        'approval.approved:U0VP',
        'release.approve:U0VP',
        'github.deployment_approved_by_policy:tminus',
      ]),
    );
    expect(log).not.toContain('release.production_approval_requested:tminus');
    expect(log.filter((a) => a.startsWith('hotfix.step_overdue'))).toHaveLength(1);
    expect(log.filter((a) => a.startsWith('hotfix.step_escalated'))).toHaveLength(1);
    // The planned release kept waiting for its own approval meanwhile.
    expect((await release('v1.3.0')).state).toBe('awaiting_approval');
  }, SLOW);

  it('CI failing on the hotfix is said once, keeps the approval refused, and a fixed commit is read again', async () => {
    // The fix is on its own branch already (cut by the team from production): tminus ships its head.
    world.github.createBranch('hotfix/v1.2.2', world.github.tags().find((t) => t.name === 'v1.2.1')!.sha);
    const broken = world.github.commit('hotfix/v1.2.2', 'fix: refunds round down (#18)');
    world.github.setCheckRuns(broken, [
      { name: 'unit', conclusion: 'failure' },
      { name: 'e2e', conclusion: 'success' },
    ]);
    expect(await command('hotfix v1.2.2 refunds are short by a cent')).toContain('Detected at');
    const failed = await waitFor('the CI failure', async () => (await thread('v1.2.2')).find((m) => m.text.startsWith('❌ Hotfix v1.2.2: CI failed')));
    expect(visibleText(failed)).toContain(`CI failed on \`${broken.slice(0, 7)}\`* (hotfix/v1.2.2): unit`);
    // Read again several times since: still said once.
    const reads = world.github.requests.filter((r) => r.path.endsWith(`/commits/${broken}/check-runs`)).length;
    await waitFor('CI read again', () => world.github.requests.filter((r) => r.path.endsWith(`/commits/${broken}/check-runs`)).length >= reads + 3);
    expect((await thread('v1.2.2')).filter((m) => m.text.startsWith('❌ Hotfix v1.2.2: CI failed'))).toHaveLength(1);
    expect(visibleText(await top('v1.2.2'))).toContain(`CI failed on \`${broken.slice(0, 7)}\` (unit)`);
    await click('U0VP', await top('v1.2.2'), 'gate_approve');
    expect((await ephemeral('U0VP', 'Hotfix v1.2.2 is not tested yet')).text).toContain(`CI failed on \`${broken.slice(0, 7)}\` (unit)`);

    const fixed = world.github.commit('hotfix/v1.2.2', 'fix: refunds round half up (#19)');
    world.github.setCheckRuns(fixed, [{ name: 'unit' }, { name: 'e2e' }]);
    await waitFor('"tested" ticked on the fixed commit', async () => visibleText(await top('v1.2.2')).includes(`tested: CI passed on \`${fixed.slice(0, 7)}\``));
    expect((await actions('v1.2.2')).filter((a) => a === 'hotfix.ci_failed:github:ci')).toHaveLength(1);
    expect(await actions('v1.2.2')).not.toContain('hotfix.branch_cut:tminus');
    await command('abort v1.2.2 test over');
  }, SLOW);

  it('--from names the branch the hotfix ships; a branch that does not exist is said once', async () => {
    expect(await command('hotfix v1.2.3 cards declined --from hotfix/../main')).toContain('`--from` takes a branch name or a full 40-character commit sha');
    expect(await command('hotfix v1.2.3 cards declined --from patches/cards')).toContain('Hotfix v1.2.3 raised');
    const missing = await waitFor('the missing branch said', async () => (await thread('v1.2.3')).find((m) => m.text.startsWith('⚠️ tminus cannot find the commit hotfix v1.2.3 ships')));
    expect(visibleText(missing)).toContain('the branch patches/cards named with --from does not exist on GitHub');
    world.github.createBranch('patches/cards', world.github.tags().find((t) => t.name === 'v1.2.1')!.sha);
    const fix = world.github.commit('patches/cards', 'fix: retry declined cards (#20)');
    world.github.setCheckRuns(fix, [{ name: 'unit' }]);
    await waitFor('"tested" on the named branch', async () => visibleText(await top('v1.2.3')).includes(`tested: CI passed on \`${fix.slice(0, 7)}\``));
    expect(visibleText(await top('v1.2.3'))).toContain(`*Ships:* \`${fix.slice(0, 7)}\` on \`patches/cards\`, 1 commit beyond production v1.2.1`);
    expect(world.github.headOf('hotfix/v1.2.3')).toBeUndefined();
    expect((await thread('v1.2.3')).filter((m) => m.text.startsWith('⚠️ tminus cannot find the commit'))).toHaveLength(1);
    await command('abort v1.2.3 test over');
  }, SLOW);
});

/** The commits `head` carries beyond `base`, as GitHub's compare lists them (oldest first). */
async function octokitCompare(world: World, base: string, head: string): Promise<{ sha: string }[]> {
  const response = await fetch(`${world.github.url}/repos/${world.github.fullName}/compare/${base}...${head}`, { headers: { authorization: `token ${world.github.token}` } });
  return ((await response.json()) as { commits: { sha: string }[] }).commits;
}

describe('/release hotfix with the production gate applied to hotfixes by policy', () => {
  let world: World;
  let bot: Bot;
  const { command, click, top, thread, release, actions } = harness(
    () => world,
    () => bot,
  );

  beforeAll(async () => {
    world = await startWorld();
    // No CI runs on its own here: each test says what CI reports on the hotfix's commit.
    world.github.runCiOnEveryCommit([]);
    gatedDeploy(world);
    healthyDatadog(world);
    bot = await startBot(world, { policy: `${POLICY}productionApproval:\n  appliesTo: [patch, minor, major, hotfix]\n` });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('a tested, approved hotfix waits at the two-person production gate as a planned release does', async () => {
    expect(await command('hotfix v1.2.1 checkout double-charges cards')).toContain('Hotfix v1.2.1 raised');
    await waitFor('the hotfix branch cut', () => world.github.headOf('hotfix/v1.2.1'));
    const head = world.github.commit('hotfix/v1.2.1', 'fix: charge cards once (#16)');
    world.github.setCheckRuns(head, [{ name: 'unit' }]);
    await waitFor('"tested" ticked by CI', async () => visibleText(await top('v1.2.1')).includes('tested: CI passed on'));
    await click('U0VP', await top('v1.2.1'), 'gate_approve');
    const gate = await waitFor('the production gate', async () => (await thread('v1.2.1')).find((m) => m.text.startsWith('Production deploy of v1.2.1') && hasAction(m, 'gate_approve')));
    expect((await release('v1.2.1')).state).toBe('awaiting_production_approval');
    const run = world.github.runs().find((r) => r.head_branch === 'v1.2.1')!;
    expect(world.github.reviews(run.id)).toHaveLength(0);
    await click('U0LEAD', gate, 'gate_approve');
    await click('U0ENG2', gate, 'gate_approve');
    await waitFor('completion', () => release('v1.2.1').then((r) => r.state === 'completed' || r.state === 'stable'), 60_000);
    const reviews = world.github.reviews(run.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]!.comment).toContain('Approved in Slack by');
    expect((await thread('v1.2.1')).some((m) => m.text.includes('approved by tminus'))).toBe(false);
    expect(await actions('v1.2.1')).not.toContain('github.deployment_approved_by_policy:tminus');
  }, SLOW);
});
