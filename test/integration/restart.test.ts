import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployWorkflowHeldForSignOff, NO_GATES, RELEASES_CHANNEL, secondsSinceStart, signOff, startWorld, updateLabels, visibleText, waitFor, type World } from '../support/harness.js';
import { botEnvironment, startBotProcess, type BotProcess } from '../support/process.js';

const POLICY = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 250ms
  runAppearTimeout: 20s
planning:
  enforceCadence: false
${NO_GATES}`;

describe('a process killed mid-release and started again carries on', () => {
  let world: World;
  const processes: BotProcess[] = [];

  beforeAll(async () => {
    world = await startWorld();
    // The last job waits for a sign-off the test gives once the second process has posted again: the run
    // outlasts the restart however slowly the machine starts a process (tminus opens no gate for it: it is
    // not the production environment).
    deployWorkflowHeldForSignOff(world);
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await world?.close();
  });

  it('posts each T+N update once, one late update after the downtime and no back-fill, and completes', async () => {
    const env = botEnvironment(world, POLICY);
    const first = await startBotProcess(env);
    processes.push(first);
    const answer = await waitFor('the tags to be read, and the release to start', async () => {
      const res = await world.slack.sendCommand(first.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
      return JSON.stringify(res.body).includes('Starting minor release') ? res : undefined;
    });
    expect(answer.status).toBe(200);
    const top = await waitFor('the release message', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
    await waitFor('the first update', () => updateLabels(world, top.ts).length >= 1);

    first.child.kill('SIGKILL');
    await first.exited;
    const whileDown = updateLabels(world, top.ts).length;
    // Down for more than one update interval: those updates are due while nobody is running.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(updateLabels(world, top.ts).length).toBe(whileDown);

    const second = await startBotProcess(env);
    processes.push(second);
    // After the downtime: the late update, then one on time; then the run may finish.
    await waitFor('two updates after the restart', () => updateLabels(world, top.ts).length >= whileDown + 2, 120_000);
    await signOff(world, 'v1.3.0');
    const complete = await waitFor(
      'the complete message after the restart',
      () => world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.includes('COMPLETED')),
      120_000,
    );
    const labels = updateLabels(world, top.ts);
    const seconds = labels.map(secondsSinceStart);
    expect(seconds.length).toBeGreaterThanOrEqual(whileDown + 2);
    // Every update once, in order, on the 2 s grid: the ones due while nobody ran are not back-filled...
    expect(new Set(seconds).size).toBe(seconds.length);
    expect(seconds.every((s, i) => s % 2 === 0 && (i === 0 || s > seconds[i - 1]!))).toBe(true);
    expect(seconds.slice(0, whileDown)).toEqual(seconds.slice(0, whileDown).map((_, i) => 2 * (i + 1)));
    // ...the downtime leaves one gap, and the update posted after it says it is late.
    const gaps = seconds.filter((s, i) => i > 0 && s - seconds[i - 1]! > 2);
    expect(gaps.length).toBeLessThanOrEqual(1);
    const afterGap = seconds.findIndex((s, i) => i > 0 && s - seconds[i - 1]! > 2);
    if (afterGap > 0) expect(visibleText(world.slack.thread(RELEASES_CHANNEL, top.ts).filter((m) => m.text.includes('IN PROGRESS'))[afterGap]!)).toMatch(/late/i);
    const thread = world.slack.thread(RELEASES_CHANNEL, top.ts);
    expect(thread.at(-1)?.ts).toBe(complete.ts);
    expect(world.github.tags().filter((t) => t.name === 'v1.3.0')).toHaveLength(1);
    expect(world.github.releases().filter((r) => r.tag_name === 'v1.3.0')).toHaveLength(1);

    // SIGTERM: running jobs finish, the process exits cleanly.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('"msg":"stopped"');
  }, 150_000);
});
