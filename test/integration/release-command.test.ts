import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/** Everything tminus recorded or did outside: for "nothing was recorded or tagged" checks. */
async function footprint(world: World, bot: Bot) {
  return {
    releases: (await bot.tminus.store.inFlight()).length + ((await bot.tminus.store.latest()) ? 1 : 0),
    tags: world.github.tags().map((t) => t.name).sort(),
    messages: world.slack.messages(RELEASES_CHANNEL).length,
    // Release work only, the jobs that name a release, a plan or a gate: housekeeping (tag sync, the reconciler, the
    // deployWithin watch, reading the in-flight releases at start-up, App Home) comes and goes on its own schedule.
    queued: (await bot.tminus.jobs.queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter((job) => job && namesRelease(job.data)).length,
  };
}

function namesRelease(data: unknown): boolean {
  return typeof data === 'object' && data !== null && ['releaseId', 'planId', 'gateId'].some((key) => key in data);
}

function answerText(body: unknown): string {
  return visibleText(body as { text: string; blocks: unknown[] });
}

describe('/release start refuses what the guide does not allow, and records nothing', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    world.github.addTag('v1.2.1');
    bot = await startBot(world);
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.1')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const refusals: [string, string, RegExp][] = [
    ['a malformed version', 'start 1.3', /"1\.3" is not a version: expected vMAJOR\.MINOR\.PATCH/],
    ['a word instead of a version', 'start latest', /"latest" is not a version/],
    ['a version below the latest release', 'start v1.1.0', /v1\.1\.0 is not above the latest release v1\.2\.1: use v1\.2\.2, v1\.3\.0 or v2\.0\.0/],
    ['a version already released', 'start v1.2.1', /v1\.2\.1 has already been released/],
    ['the latest version again, written without v', 'start 1.2.0', /v1\.2\.0 has already been released/],
    ['a start without a version', 'start', /Usage: `\/release start vX\.Y\.Z \[--override/],
  ];

  it.each(refusals)('refuses %s', async (_what, text, expected) => {
    const before = await footprint(world, bot);
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text, userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    expect((answer.body as { response_type: string }).response_type).toBe('ephemeral');
    expect(answerText(answer.body)).toMatch(expected);
    expect(await footprint(world, bot)).toEqual(before);
  });

  it('refuses a second release while one is in flight, and the same version twice', async () => {
    world.github.defineWorkflow('deploy-production.yml', {
      trigger: 'tag',
      jobs: [{ name: 'build-images', durationMs: 60_000 }, { name: 'deploy-production', durationMs: 1_000 }],
    });
    const first = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0-rc.1', userId: 'U0ENG' });
    expect(answerText(first.body)).toContain('Starting minor release v1.3.0-rc.1');
    await waitFor('the tag', () => world.github.tags().some((t) => t.name === 'v1.3.0-rc.1'));
    const before = await footprint(world, bot);

    const second = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.2.2', userId: 'U0LEAD' });
    expect(answerText(second.body)).toMatch(/v1\.3\.0-rc\.1 is still in flight .*zero in-flight deployments/s);
    const again = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0-rc.1', userId: 'U0LEAD' });
    expect(answerText(again.body)).toMatch(/v1\.3\.0-rc\.1 is already in flight/);

    expect(world.github.tags().map((t) => t.name)).not.toContain('v1.2.2');
    const after = await footprint(world, bot);
    expect(after.releases).toBe(before.releases);
    expect(after.tags).toEqual(before.tags);
  });

  it('a retried delivery of the same command does not start a second release', async () => {
    // (continues from the release in flight above) Slack re-sends the same command with the same trigger_id.
    const latest = (await bot.tminus.store.inFlight())[0]!;
    const retry = await world.slack.sendCommand(
      bot.eventsUrl,
      { text: `start ${latest.version}`, userId: 'U0ENG', triggerId: latest.requestId! },
      { retryNum: 1, retryReason: 'http_timeout' },
    );
    expect(retry.status).toBe(200);
    expect(answerText(retry.body)).toContain(`${latest.version} was started by this command already`);
    expect((await bot.tminus.store.inFlight()).map((r) => r.id)).toEqual([latest.id]);
  });

  it('/release status shows the release in flight, and by version', async () => {
    const inFlight = await world.slack.sendCommand(bot.eventsUrl, { text: 'status', userId: 'U0LEAD' });
    expect(answerText(inFlight.body)).toMatch(/Release v1\.3\.0-rc\.1: (deploying|tagged)/);
    const byVersion = await world.slack.sendCommand(bot.eventsUrl, { text: 'status 1.3.0-rc.1', userId: 'U0LEAD' });
    expect(answerText(byVersion.body)).toContain('Release v1.3.0-rc.1');
    const unknown = await world.slack.sendCommand(bot.eventsUrl, { text: 'status v9.9.9', userId: 'U0LEAD' });
    expect(answerText(unknown.body)).toContain('tminus has no release v9.9.9');
  });

  it('help, and anything unknown gets the help', async () => {
    const help = await world.slack.sendCommand(bot.eventsUrl, { text: 'help', userId: 'U0ENG' });
    expect(answerText(help.body)).toContain('/release start vX.Y.Z');
    expect(answerText(help.body)).toContain('/release status [vX.Y.Z]');
    const unknown = await world.slack.sendCommand(bot.eventsUrl, { text: 'deploy everything', userId: 'U0ENG' });
    expect(answerText(unknown.body)).toContain("I don't know `/release deploy`");
    expect(answerText(unknown.body)).toContain('/release start vX.Y.Z');
  });

  it('a forged request is refused before anything happens', async () => {
    const before = await footprint(world, bot);
    const forged = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v2.0.0', userId: 'U0ENG' }, { signingSecret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v2.0.0', userId: 'U0ENG' }, { timestampSeconds: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(await footprint(world, bot)).toEqual(before);
  });

  it('/healthz answers 200 while Postgres and Redis answer', async () => {
    const res = await fetch(`${bot.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });
  });
});
