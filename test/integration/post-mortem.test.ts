import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { NO_GATES, RELEASES_CHANNEL, deployWorkflow, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s, rerunPollInterval: 300ms }
planning: { enforceCadence: false }
${NO_GATES}`;

/** "Schedule post-mortem if issues": one GitHub issue for every release that failed in production, and no other. */
describe('post-mortems', () => {
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

  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  const stateOf = (version: string) => bot.tminus.store.findByVersion(version).then((r) => r?.state);
  const issues = (title: string) => world.github.issues().filter((i) => i.title === title);
  async function start(version: string): Promise<StoredMessage> {
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
  }

  it('a deploy that fails before production gets none', async () => {
    const script = deployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 });
    script.jobs[0]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const top = await start('v1.3.0');
    await waitFor('the failure message', () => thread(top).find((m) => m.text.includes('FAILED')));
    await waitFor('the failure to be recorded', async () => (await stateOf('v1.3.0')) === 'failed');
    // The failure job has run to its end (the progress view is its last step) without queueing a post-mortem.
    const events = await bot.tminus.store.events((await bot.tminus.store.findByVersion('v1.3.0'))!.id);
    expect(events.some((e) => e.action === 'post_mortem.scheduled')).toBe(false);
  });

  it('a deploy that fails after touching production gets one issue, also when its re-run fails again', { timeout: 90_000 }, async () => {
    const script = deployWorkflow({ images: 300, staging: 300, production: 300, verify: 300 });
    script.jobs[2]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const top = await start('v1.3.1');
    const link = await waitFor('the post-mortem link', () => thread(top).find((m) => m.text.startsWith('📝 Post-mortem')));
    const [issue] = issues('Post-mortem: v1.3.1 failed after touching production');
    expect(issue).toBeDefined();
    expect(visibleText(link)).toContain(issue!.html_url);
    expect(visibleText(link)).toContain('the deploy failed after production was touched');
    expect(issue!.body).toContain('What failed:');
    expect(issue!.body).toContain('release.deploy_failed');

    const run = world.github.runs().find((r) => r.head_branch === 'v1.3.1')!;
    world.github.rerun(run.id);
    await waitFor('the second failure', () => thread(top).filter((m) => m.text.includes('FAILED')).length === 2);
    await waitFor('the release failed again', async () => (await stateOf('v1.3.1')) === 'failed');
    expect(issues('Post-mortem: v1.3.1 failed after touching production')).toHaveLength(1);
    expect(thread(top).filter((m) => m.text.startsWith('📝 Post-mortem'))).toHaveLength(1);
  });

  it('a release aborted after production was touched gets one issue', async () => {
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow({ images: 300, staging: 300, production: 300, verify: 6_000 }));
    const top = await start('v1.3.2');
    await waitFor('production to be deployed', async () => (await bot.tminus.store.findByVersion('v1.3.2'))?.progress?.find((m) => m.key === 'production')?.state === 'done');
    await world.slack.sendCommand(bot.eventsUrl, { text: 'abort v1.3.2 wrong build', userId: 'U0ENG' });
    const question = await waitFor('the question', () => world.slack.ephemerals('U0ENG').find((e) => JSON.stringify(e.blocks ?? []).includes('abort_confirm')));
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: question.ts, actionId: 'abort_confirm' });
    const link = await waitFor('the post-mortem link', () => thread(top).find((m) => m.text.startsWith('📝 Post-mortem')));
    const found = issues('Post-mortem: v1.3.2 aborted after touching production');
    expect(found).toHaveLength(1);
    expect(visibleText(link)).toContain(found[0]!.html_url);
    expect(found[0]!.body).toContain('release.abort');
    expect(await stateOf('v1.3.2')).toBe('aborted');
    // The failure before production, long over: still no issue.
    expect(world.github.issues().some((i) => i.title.includes('v1.3.0'))).toBe(false);
  });
});
