import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DD_API_KEY, DD_APP_KEY, deployWorkflow, deployWorkflowHeldForSignOff, FAST_POLICY, NO_GATES, RELEASES_CHANNEL, secondsSinceStart, signOff, startWorld, updateLabels, visibleText, waitFor, withTestTimings, type Bot, type World } from '../support/harness.js';
import { pgliteDirectory, startBotWithoutRedis, withoutRedis } from '../support/no-redis.js';
import { botEnvironment, startBotProcess, type BotProcess } from '../support/process.js';

/** `npm start` with the world's stand-ins (Datadog too, as the in-process bots have it), REDIS_URL unset. */
function processEnvironment(world: World, policy: string): Record<string, string> {
  return { ...withoutRedis(botEnvironment(world, withTestTimings(policy))), DD_API_KEY, DD_APP_KEY, DATADOG_API_URL: world.datadog.url };
}

async function startRelease(world: World, eventsUrl: string, version: string) {
  const answer = await waitFor(`${version} to start`, async () => {
    const res = await world.slack.sendCommand(eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    return new RegExp(`Starting \\w+ release ${version}`).test(JSON.stringify(res.body)) ? res : undefined;
  });
  expect(answer.durationMs).toBeLessThan(3_000);
  return waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} started`)));
}

/** What a user sees of a whole release: tag, T+N updates once each on the grid, the complete message last, the GitHub release. */
async function expectCompleted(world: World, version: string, topTs: string, timeoutMs = 30_000) {
  const completed = await waitFor(`the ${version} complete message`, () => world.slack.thread(RELEASES_CHANNEL, topTs).find((m) => m.text.includes('COMPLETED')), timeoutMs);
  expect(world.github.tags().filter((t) => t.name === version)).toHaveLength(1);
  const seconds = updateLabels(world, topTs).map(secondsSinceStart);
  expect(seconds.length).toBeGreaterThanOrEqual(2);
  expect(new Set(seconds).size).toBe(seconds.length);
  expect(seconds.every((s, i) => s % 2 === 0 && (i === 0 || s > seconds[i - 1]!))).toBe(true);
  expect(world.slack.thread(RELEASES_CHANNEL, topTs).filter((m) => m.text.includes('COMPLETED'))).toHaveLength(1);
  expect(world.slack.thread(RELEASES_CHANNEL, topTs).at(-1)?.ts).toBe(completed.ts);
  expect(world.github.releases().filter((r) => r.tag_name === version)).toHaveLength(1);
  return completed;
}

describe('no Redis: tminus runs its job queues on Postgres (DATABASE_URL, REDIS_URL unset)', () => {
  let world: World;
  const processes: BotProcess[] = [];

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await world?.close();
  });

  it('starts, says where its queues run, and runs a release end to end', async () => {
    const bot = await startBotProcess(processEnvironment(world, FAST_POLICY));
    processes.push(bot);
    expect(bot.output()).toMatch(/"queue":"postgres"[^\n]*"msg":"tminus is running"/);
    const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, postgres: 'ok', queue: 'ok' });

    const top = await startRelease(world, bot.eventsUrl, 'v1.3.0');
    await expectCompleted(world, 'v1.3.0', top.ts);
    // Nothing arrives after the end.
    const count = world.slack.thread(RELEASES_CHANNEL, top.ts).length;
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(world.slack.thread(RELEASES_CHANNEL, top.ts).length).toBe(count);

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output()).toContain('"msg":"stopped"');
    expect(bot.output()).not.toMatch(/ECONNREFUSED|redis connection error/i);
  }, 90_000);

  it('a process killed with jobs in flight, started again, carries on where it was', async () => {
    // The last job waits for a sign-off given once the second process has posted again.
    deployWorkflowHeldForSignOff(world);
    const policy = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 250ms
  runAppearTimeout: 20s
planning:
  enforceCadence: false
${NO_GATES}`;
    const env = processEnvironment(world, policy);
    const first = await startBotProcess(env);
    processes.push(first);
    const top = await startRelease(world, first.eventsUrl, 'v1.3.1');
    await waitFor('the first update', () => updateLabels(world, top.ts).length >= 1);
    first.child.kill('SIGKILL');
    await first.exited;
    const whileDown = updateLabels(world, top.ts).length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(updateLabels(world, top.ts).length).toBe(whileDown);

    const second = await startBotProcess(env);
    processes.push(second);
    await waitFor('two updates after the restart', () => updateLabels(world, top.ts).length >= whileDown + 2, 120_000);
    await signOff(world, 'v1.3.1');
    await expectCompleted(world, 'v1.3.1', top.ts, 90_000);
    expect(updateLabels(world, top.ts).length).toBeGreaterThan(whileDown);
    expect(world.github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))).toHaveLength(2);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 150_000);
});

describe('no Redis: two replicas on the Postgres queues behave as one', () => {
  let world: World;
  let bots: Bot[] = [];

  beforeAll(async () => {
    world = await startWorld();
    bots = [await startBotWithoutRedis(world, { on: 'postgres' }), await startBotWithoutRedis(world, { on: 'postgres' })];
    await waitFor('the tags to be read', () => bots[0]!.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await world?.close();
  });

  it('the same command reaching both at once starts one release, and every post happens once', async () => {
    expect(bots.map((b) => b.tminus.queueBackend)).toEqual(['postgres', 'postgres']);
    const answers = await Promise.all([
      world.slack.sendCommand(bots[0]!.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' }),
      world.slack.sendCommand(bots[1]!.eventsUrl, { text: 'start v1.3.0', userId: 'U0LEAD' }),
    ]).then((all) => all.map((a) => JSON.stringify(a.body)));
    expect(answers.filter((t) => t.includes('Starting minor release v1.3.0'))).toHaveLength(1);

    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
    await expectCompleted(world, 'v1.3.0', top.ts);
    expect(world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.includes('Release v1.3.0'))).toHaveLength(1);
    expect(world.github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))).toHaveLength(1);
  });
});

describe('no Redis and no Postgres: tminus runs its job queues on the embedded PGlite', () => {
  let world: World;
  let bot: Bot | undefined;
  const directory = pgliteDirectory();

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
    directory.remove();
  });

  it('runs a release end to end, and /healthz says its queue answers', async () => {
    bot = await startBotWithoutRedis(world, { on: 'pglite', dataDir: directory.dataDir });
    expect(bot.tminus.queueBackend).toBe('pglite');
    expect(await (await fetch(`${bot.baseUrl}/healthz`)).json()).toEqual({ ok: true, postgres: 'ok', queue: 'ok' });
    await waitFor('the tags to be read from GitHub', () => bot!.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));

    const top = await startRelease(world, bot.eventsUrl, 'v1.3.0');
    await expectCompleted(world, 'v1.3.0', top.ts);
    expect((await bot.tminus.store.findByVersion('v1.3.0'))?.state).toBe('completed');
  }, 60_000);

  it('a failing deploy ends in the failure message, its retries and delays on PGlite too', async () => {
    const script = deployWorkflow();
    script.jobs[2]!.outcome = 'failure';
    world.github.defineWorkflow('deploy-production.yml', script);
    const top = await startRelease(world, bot!.eventsUrl, 'v1.3.1');
    const failed = await waitFor('the failure message', () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('FAILED')));
    expect(visibleText(failed)).toContain('Production was touched');
    expect((await bot!.tminus.store.findByVersion('v1.3.1'))?.state).toBe('failed');
  }, 60_000);
});
