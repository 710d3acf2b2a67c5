import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * The readiness gate before T-0, driven as people and GitHub would: a red commit is never tagged, a minor
 * started without a plan waits on its checklists, the cadence is judged when the tag is due, and a policy
 * that asks for a production gate GitHub does not enforce is refused before anything is tagged.
 */
describe('the readiness gate before T-0', () => {
  let world: World;
  let bot: Bot;

  const say = async (text: string, userId = 'U0ENG') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const release = async (version: string) => (await bot.tminus.store.findByVersion(version))!;
  const thread = async (version: string) => {
    const threadTs = await waitFor(`the ${version} thread`, async () => (await bot.tminus.store.findByVersion(version))?.threadTs);
    return world.slack.thread(RELEASES_CHANNEL, threadTs);
  };
  const card = async (version: string, showing: string) =>
    waitFor(`the readiness card of ${version} to say "${showing}"`, async () => (await thread(version)).find((m) => m.text.includes('T-0') && visibleText(m).includes(showing)));
  const tagged = (version: string) => world.github.tags().find((t) => t.name === version);

  async function startWith(policy: string) {
    world = await startWorld();
    bot = await startBot(world, { policy });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  }
  afterEach(async () => {
    await bot?.stop();
    await world?.close();
  });

  describe('CI on the exact commit', () => {
    it('a red commit is not tagged; the red is said once with its link; a fix pushed to the branch is what gets tagged', async () => {
      await startWith(FAST_POLICY);
      const red = world.github.headOf('main')!;
      world.github.setCheckRuns(red, [{ name: 'unit', conclusion: 'failure' }, { name: 'lint' }]);
      expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');

      const held = await card('v1.2.1', 'CI red on');
      expect(visibleText(held)).toContain(`\`main\` @ \`${red.slice(0, 7)}\``);
      expect(visibleText(held)).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/acme\/shop\/runs\/\d+\|unit> failed/);
      const redSaid = async () => (await thread('v1.2.1')).filter((m) => m.text.startsWith('⛔ v1.2.1 will not be tagged'));
      const said = await waitFor('the red said in the thread', async () => ((await redSaid()).length > 0 ? redSaid() : undefined));
      // Judged again every second: still red, still one message, still untagged.
      await waitFor('three more looks at CI', () => world.github.requests.filter((r) => r.path.endsWith(`/commits/${red}/check-runs`)).length >= 4);
      expect(await redSaid()).toHaveLength(said.length);
      expect(said).toHaveLength(1);
      expect(tagged('v1.2.1')).toBeUndefined();
      expect((await release('v1.2.1')).state).toBe('started');
      expect(await say('status v1.2.1')).toContain('the readiness gate');

      const fixed = world.github.commit('main', 'fix: the flaky unit test (#16)');
      const tag = await waitFor('the fix tagged', () => tagged('v1.2.1'));
      expect(tag.sha).toBe(fixed);
      await card('v1.2.1', 'Ready for T-0');
      await waitFor('v1.2.1 to complete', async () => (await release('v1.2.1')).state === 'completed');
      const judged = (await bot.tminus.store.events((await release('v1.2.1')).id)).filter((e) => e.action === 'readiness.judged');
      expect(judged.map((e) => e.details.ready)).toEqual([false, true]);
      expect(judged[1]!.details.sha).toBe(fixed);
    });

    it('no check at all is not green; a required check must report', async () => {
      await startWith(`${FAST_POLICY}\nreadiness: { requiredChecks: [e2e] }\n`);
      world.github.runCiOnEveryCommit([]);
      const head = world.github.commit('main', 'feat: receipts (#17)');
      expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
      await card('v1.2.1', 'required e2e not reported');
      world.github.setCheckRuns(head, [{ name: 'unit' }, { name: 'e2e', status: 'in_progress', conclusion: null }]);
      await card('v1.2.1', 'required e2e running');
      expect(tagged('v1.2.1')).toBeUndefined();
      world.github.setCheckRuns(head, [{ name: 'unit' }, { name: 'e2e' }]);
      expect((await waitFor('the tag', () => tagged('v1.2.1'))).sha).toBe(head);
    });
  });

  it('a minor started without a plan gets its checklists in its thread and waits on them; an approver waives them with a reason', async () => {
    await startWith(`${FAST_POLICY}
readiness: { checklists: required }
roles:
  engineeringLeadership: { users: [U0HEAD] }
permissions:
  waive: [engineeringLeadership]
`);
    expect(await say('start v1.3.0')).toContain('Starting minor release v1.3.0');
    const held = await card('v1.3.0', 'Checklists:');
    expect(visibleText(held)).toMatch(/Checklists: \d+ items not ticked/);
    for (const title of ['72 Hours Before', '24 Hours Before', '4 Hours Before']) {
      await waitFor(`the ${title} checklist in the thread`, async () => (await thread('v1.3.0')).some((m) => visibleText(m).includes(title)));
    }
    expect(tagged('v1.3.0')).toBeUndefined();

    expect(await say('waive v1.3.0 checklists QA signed off in the review', 'U0ENG')).toContain("You can't waive");
    expect(await say('waive v1.3.0 ci it is flaky', 'U0HEAD')).toContain('CI is fixed on the branch, not waived');
    expect(await say('waive v1.3.0 checklists QA signed off in the review', 'U0HEAD')).toContain('You waived the checklists of v1.3.0');
    await waitFor('the tag after the waiver', () => tagged('v1.3.0'));
    await card('v1.3.0', 'Checklists waived by <@U0HEAD>: QA signed off in the review');
    const waived = (await bot.tminus.store.events((await release('v1.3.0')).id)).find((e) => e.action === 'readiness.waived')!;
    expect(waived).toMatchObject({ actor: 'U0HEAD', details: { line: 'checklists', reason: 'QA signed off in the review' } });
    expect(await say('waive v1.3.0 checklists again', 'U0HEAD')).toContain('only a release held at its readiness gate');
  });

  it('a policy that asks for the production gate on a repository whose environment has no reviewers is refused before the tag, with what to change', async () => {
    await startWith(`${FAST_TIMINGS}\nreleaseTypes:\n  patch: { approvers: [] }\nproductionApproval: { appliesTo: [patch, minor, major] }\n`);
    // The environment exists (a job named it once) but protects nothing: a private repository on GitHub Team.
    world.github.defineEnvironment('production');
    expect(await say('start v1.2.1')).toContain('Starting patch release v1.2.1');
    await waitFor('the release to fail', async () => (await release('v1.2.1')).state === 'failed');
    expect(tagged('v1.2.1')).toBeUndefined();
    const failed = await waitFor('the failure in the thread', async () => (await thread('v1.2.1')).find((m) => m.text.includes('FAILED')));
    expect(visibleText(failed)).toContain('has no required reviewers');
    expect(visibleText(failed)).toContain('productionApproval.appliesTo: []');
    expect(visibleText(failed)).toContain('productionApproval.mode: dispatch');
    expect(visibleText(failed)).toContain('Nothing was tagged, so nothing was deployed');
    await card('v1.2.1', 'GitHub will not stop the deploy');
  });
});

describe('the cadence when the tag is due', () => {
  let world: World;
  let bot: Bot;
  // Thursday 10 December 2026, 13:30 UTC: within the minor slot (14:00 ± 2 h); the test moves the clock on.
  let offset = 0;
  const base = Date.parse('2026-12-10T13:30:00Z');
  const started = Date.now();
  const clock = () => new Date(base + (Date.now() - started) + offset);

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, {
      clock,
      policy: `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
roles:
  engineeringLeadership: { users: [U0HEAD] }
`,
    });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('an approval that arrives after the slot holds the release; an approver may waive the cadence with a reason', async () => {
    const answer = visibleText((await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' })).body as { text: string; blocks: unknown[] });
    expect(answer).toContain('v1.3.0');
    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
    const gate = await waitFor('the release gate', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => JSON.stringify(m.blocks).includes('"action_id":"gate_approve"')));
    // Two days later: the slot (Thursday 14:00 ± 2 h) is long gone when leadership approves.
    offset = 2 * 24 * 3_600_000;
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0HEAD', channelId: RELEASES_CHANNEL, messageTs: gate.ts, actionId: 'gate_approve' });
    const held = await waitFor('the card to hold on the cadence', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('T-0') && visibleText(m).includes('Cadence: Minor releases go out every second Thursday')),
    );
    expect(visibleText(held)).toContain('it goes on by itself at 2026-12-24 12:00 UTC');
    expect(world.github.tags().some((t) => t.name === 'v1.3.0')).toBe(false);
    const waived = visibleText((await world.slack.sendCommand(bot.eventsUrl, { text: 'waive v1.3.0 cadence the customer demo moved', userId: 'U0HEAD' })).body as { text: string; blocks: unknown[] });
    expect(waived).toContain('You waived the cadence of v1.3.0');
    await waitFor('the tag after the waiver', () => world.github.tags().some((t) => t.name === 'v1.3.0'));
  });
});
