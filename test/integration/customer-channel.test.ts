import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const CUSTOMERS = 'C0CUSTOMERS';
const POLICY = `${FAST_POLICY}
communication:
  customerChannel: ${CUSTOMERS}
  supportContact: support@acme.example
  statusPageUrl: https://status.acme.example
roles:
  onCall: { users: [U0ONCALL] }
rollback: { pollInterval: 200ms }
`;

/** What the guide writes to customers reaches the customer channel, in the customer wording, once. */
describe('the customer channel', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld({ slackChannels: [{ id: CUSTOMERS, name: 'customers' }] });
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 500 }] });
    bot = await startBot(world, { policy: POLICY });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const customerPosts = () => world.slack.topLevel(CUSTOMERS);

  it('release in progress is one message edited in place, then the release complete; no mentions, no jargon', async () => {
    serveHealthyService(world.datadog);
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    const progress = await waitFor('the in-progress message', () => customerPosts().find((m) => m.text.includes('v1.3.0') && m.text.includes('IN PROGRESS')));
    expect(visibleText(progress)).toContain('https://status.acme.example');
    await waitFor('v1.3.0 to complete', () => bot.tminus.store.findByVersion('v1.3.0').then((r) => r?.state === 'completed'));
    const complete = await waitFor('the complete message', () => customerPosts().find((m) => m.text.includes('COMPLETED')));
    const shown = visibleText(complete);
    expect(shown).toContain('Thank you for your patience!');
    expect(shown).toContain('support@acme.example');
    expect(shown).not.toMatch(/<@|github\.com|workflow|T\+\d/);
    // One in-progress message (edited), one complete: nothing posted twice.
    expect(customerPosts().filter((m) => m.text.includes('IN PROGRESS'))).toHaveLength(1);
    expect(customerPosts().filter((m) => m.text.includes('COMPLETED'))).toHaveLength(1);
    // The team's thread has its own wording with the run link.
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 '))!;
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => m.text.includes('COMPLETED'))).toBe(true);
  });

  it('a rollback tells customers in plain words and says when it is done', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'rollback v1.3.0 People could not pay at checkout', userId: 'U0ONCALL' });
    expect(JSON.stringify(answer.body)).toContain('Rolling v1.3.0 back to v1.2.0');
    const notice = await waitFor('the customer notice', () => customerPosts().find((m) => m.text.includes('ROLLBACK NOTICE')));
    const shown = visibleText(notice);
    expect(shown).toContain('*What happened:*\nPeople could not pay at checkout');
    expect(shown).not.toMatch(/<@U0ONCALL>|Reason given|rollback run/);
    await waitFor('the notice to say it is done', () => customerPosts().some((m) => m.ts === notice.ts && visibleText(m).includes('✅ Rolled back to v1.2.0')));
    expect(customerPosts().filter((m) => m.text.includes('ROLLBACK NOTICE'))).toHaveLength(1);
  });

  it('a customer channel Slack refuses never holds up the release: the thread is told once what to fix', async () => {
    await bot.stop();
    bot = await startBot(world, { policy: POLICY.replace(CUSTOMERS, 'C0NOWHERE') });
    world.github.commit('main', 'fix: totals (#31)');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.1', userId: 'U0ENG' });
    await waitFor('v1.3.1 to complete', () => bot.tminus.store.findByVersion('v1.3.1').then((r) => r?.state === 'completed'));
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.1 '))!;
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')));
    const refused = world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('could not post to the customer channel'));
    expect(refused).toHaveLength(1);
    expect(visibleText(refused[0]!)).toContain('channel_not_found');
    expect(visibleText(refused[0]!)).toContain('communication.customerChannel');
  });
});
