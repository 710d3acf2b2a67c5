import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployWorkflow, mergePullRequest, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

describe('/release start runs a release end to end', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // GitHub's generated notes list merged pull requests (a commit pushed without one is not listed): the change the release carries.
    await mergePullRequest(world, 'feat/search', 'feat: admin portal search', { 'src/search.ts': 'export const search = true;\n' });
    bot = await startBot(world);
    await waitFor('the tags to be read from GitHub', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('tags, follows the deploy, posts T+N updates and completes', async () => {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    expect(answer.durationMs).toBeLessThan(3_000);
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain('Starting minor release v1.3.0');

    const top = await waitFor('the release-started message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0 started')));
    const tag = await waitFor('the tag on GitHub', () => world.github.tags().find((t) => t.name === 'v1.3.0'));
    expect(tag.sha).toBe(world.github.headOf('main'));

    const completed = await waitFor(
      'the complete message',
      () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')),
      30_000,
    );
    const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
    const updates = thread.filter((m) => m.text.includes('IN PROGRESS'));
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.map((m) => m.text.match(/T\+\S+/)?.[0])).toEqual(updates.map((_, i) => `T+${2 * (i + 1)}s`));
    expect(thread.at(-1)?.ts).toBe(completed.ts);
    expect(visibleText(completed)).toMatch(/Deployment time: \d+s\n/);
    // The change as a plain sentence: no "feat:" prefix, no "by @user in <url>".
    expect(visibleText(completed)).toContain('- Admin portal search\n');

    const release = world.github.releases().find((r) => r.tag_name === 'v1.3.0');
    expect(release?.body).toContain("What's Changed");

    // The top message was edited in place into the finished progress view.
    const finalTop = await waitFor('the top message to show completion', () =>
      world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && visibleText(m).includes('Release v1.3.0 completed')),
    );
    expect(finalTop.history.length).toBeGreaterThan(1);
    expect(visibleText(finalTop)).toMatch(/✅ Deployed to production/);

    // Nothing arrives after the end: wait past two more update intervals.
    const count = world.slack.thread(RELEASES_CHANNEL, top.ts).length;
    const stored = await bot.tminus.store.findByVersion('v1.3.0');
    expect(stored?.state).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).length).toBe(count);
  });

  async function startAndFindThread(version: string) {
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    expect(visibleText(answer.body as { text: string; blocks: unknown[] })).toContain(`release ${version}`);
    return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
  }

  it('a failing deploy ends in the failure message: the job, its link, and the rollback', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const top = await startAndFindThread('v1.3.1');

    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')));
    const text = visibleText(failed);
    const run = world.github.runs().find((r) => r.head_branch === 'v1.3.1')!;
    const job = world.github.jobs(run.id).find((j) => j.name === 'deploy-production')!;
    expect(text).toContain(`<${job.html_url}|deploy-production> failed at step “Run smoke tests”`);
    expect(text).toContain('Production was touched. Roll back to v1.3.0 within 5m of detection');
    expect(text).toContain('`/release rollback v1.3.1 [what happened]`');
    // tminus's own rollback is a click away; the guide's manual command stays for when it cannot run.
    expect(JSON.stringify(failed.blocks)).toContain('"action_id":"rollback_now"');
    expect(text).toContain('docker-compose down && docker-compose -f docker-compose.v1.3.0.yml up -d');
    expect(text).toContain(run.html_url);

    const release = await bot.tminus.store.findByVersion('v1.3.1');
    expect(release?.state).toBe('failed');
    expect(release?.failureReason).toContain('job deploy-production failed');
    expect(world.github.releases().some((r) => r.tag_name === 'v1.3.1')).toBe(false);
    const events = (await bot.tminus.store.events(release!.id)).map((e) => e.action).filter((a) => a.startsWith('release.'));
    expect(events).toEqual(['release.requested', 'release.tag_created', 'release.deploy_run_found', 'release.deploy_failed']);

    const finalTop = await waitFor('the top message to show the failure', () =>
      world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.ts === top.ts && visibleText(m).includes('❌ Release v1.3.1 failed')),
    );
    expect(visibleText(finalTop)).toMatch(/❌ Deployed to production/);
    // After the failure only its post-mortem (production was touched): no status update, nothing else.
    await waitFor('the post-mortem link', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('📝 Post-mortem')));
    const after = world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => Number(m.ts) > Number(failed.ts));
    expect(after.map((m) => m.text.slice(0, 14))).toEqual(['📝 Post-mortem']);
  });

  it('a failure before production says production was not touched', async () => {
    const script = deployWorkflow();
    script.jobs[0]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const top = await startAndFindThread('v1.3.2');
    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')));
    expect(visibleText(failed)).toContain('Production was not touched: v1.3.0 is still live');
    expect(visibleText(failed)).not.toContain('docker-compose');
  });

  it('GitHub going down mid-release is said once in the thread, and the release completes when it is back', async () => {
    world.github.defineWorkflow('deploy-production.yml', deployWorkflow({ images: 2_500 }));
    const top = await startAndFindThread('v1.3.3');
    await waitFor('the deploy to be followed', () => bot.tminus.store.findByVersion('v1.3.3').then((r) => r?.state === 'deploying'));
    world.github.outage(true);
    await waitFor('the outage notice', () => world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => m.text.includes('GitHub cannot be reached')));
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // several polls fail meanwhile
    world.github.outage(false);
    await waitFor('the complete message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')));
    const notices = world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('GitHub cannot be reached'));
    expect(notices).toHaveLength(1);
    const release = await bot.tminus.store.findByVersion('v1.3.3');
    expect(release?.state).toBe('completed');
    expect(release?.githubUnreachableSince).toBeNull();
  });

  it('a tag someone else already pushed at another commit fails the release with the reason', async () => {
    // Created after tminus last read the tags, so only the tag job can find it.
    world.github.addTag('v1.4.0', world.github.headOf('main'));
    world.github.commit('main', 'fix: late change (#20)');
    const top = await startAndFindThread('v1.4.0');
    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')));
    expect(visibleText(failed)).toMatch(/the tag v1\.4\.0 already exists on GitHub at [0-9a-f]{7}, not at [0-9a-f]{7}: someone else created it/);
    expect((await bot.tminus.store.findByVersion('v1.4.0'))?.state).toBe('failed');
  });
});
