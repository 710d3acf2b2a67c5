import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { FAST_TIMINGS, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const POLICY = `${FAST_TIMINGS}
roles:
  engineeringLeadership: { users: [U0HEAD] }
  vpEng: { users: [U0VP] }
  onCall: { users: [U0ONCALL] }
  releaseEngineer: { users: [U0ENG] }
releaseTypes:
  hotfix:
    escalateAfter: 1500ms
    steps:
      - { key: emergencyCall, label: Emergency call initiated, within: 1500ms }
      - { key: hotfixTested, label: Hotfix developed + tested, within: 60s }
      - { key: hotfixApproved, label: Hotfix approved by VP Eng, within: 90s }
`;

const hasAction = (m: StoredMessage, prefix: string) => JSON.stringify(m.blocks).includes(`"action_id":"${prefix}`);

describe('/release hotfix: the emergency lane', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const command = async (text: string, userId = 'U0ENG') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });
  const click = (userId: string, message: StoredMessage, actionId: string) =>
    world.slack.sendBlockAction(bot.eventsUrl, { userId, channelId: RELEASES_CHANNEL, messageTs: message.ts, actionId });
  const top = () => waitFor('the hotfix message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('🚨 Hotfix v1.2.1')));

  it('checks the version is a patch above production', async () => {
    expect(await command('hotfix v1.3.0 checkout is down')).toContain('A hotfix is a patch above what production runs (v1.2.0): use v1.2.1, not v1.3.0');
    expect(await command('hotfix v1.2.1')).toContain('Usage: `/release hotfix vX.Y.Z <what is broken>');
    expect(await command('hotfix v1.2.1 checkout is down --severity low')).toContain('severity is critical or high');
    expect(await bot.tminus.store.latest()).toBeUndefined();
  });

  it('may start while a planned release waits for approval; only the VP Eng approves; overdue steps remind and escalate once; it deploys after approval', async () => {
    expect(await command('start v1.3.0')).toContain('Starting minor release v1.3.0');
    expect(await command('hotfix v1.2.1 checkout double-charges cards --severity high')).toContain('Hotfix v1.2.1 raised');
    const message = await top();
    expect(visibleText(message)).toContain('checkout double-charges cards');
    expect(visibleText(message)).toMatch(/⏳ Emergency call initiated — due by/);
    expect(hasAction(message, 'gate_approve')).toBe(true);

    await click('U0HEAD', message, 'gate_approve');
    await waitFor('the refusal', () => world.slack.ephemerals('U0HEAD').find((e) => e.text.includes("you can't approve this: it needs the VP Eng")));

    const reminder = await waitFor('the overdue reminder', () => world.slack.thread(RELEASES_CHANNEL, message.ts).find((m) => m.text.includes('"Emergency call initiated" is overdue')));
    expect(visibleText(reminder)).toContain('<@U0ENG>');
    expect(visibleText(reminder)).toContain('<@U0ONCALL>');
    const escalation = await waitFor('the escalation', () => world.slack.thread(RELEASES_CHANNEL, message.ts).find((m) => m.text.includes('Escalation to the VP Eng')));
    expect(visibleText(escalation)).toContain('<@U0VP>');

    await click('U0ONCALL', (await top()), 'hotfix_step:emergencyCall');
    await waitFor('the step ticked', async () => visibleText(await top()).includes('✅ Emergency call initiated — <@U0ONCALL>'));
    expect(world.github.tags().some((t) => t.name === 'v1.2.1')).toBe(false);

    await click('U0VP', await top(), 'gate_approve');
    await waitFor('the hotfix tag', () => world.github.tags().some((t) => t.name === 'v1.2.1'));
    await waitFor('completion', () => bot.tminus.store.findByVersion('v1.2.1').then((r) => r?.state === 'completed'));
    const done = visibleText(await top());
    expect(done).toMatch(/✅ Hotfix approved by VP Eng — <@U0VP>/);
    expect(done).toMatch(/✅ Deployed to production/);

    // Reminder and escalation exactly once, even after their deadlines are long past.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const thread = world.slack.thread(RELEASES_CHANNEL, message.ts);
    expect(thread.filter((m) => m.text.includes('is overdue'))).toHaveLength(1);
    expect(thread.filter((m) => m.text.includes('Escalation to the VP Eng'))).toHaveLength(1);
    const release = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    const actions = (await bot.tminus.store.events(release.id)).map((e) => `${e.action}:${e.actor}`);
    expect(actions).toEqual(
      expect.arrayContaining(['hotfix.requested:U0ENG', 'hotfix.step_done:U0ONCALL', 'approval.approved:U0VP', 'release.approve:U0VP', 'release.deploy_succeeded:tminus']),
    );
    // The planned release kept waiting for its own approval meanwhile.
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('awaiting_approval');
  });
});
