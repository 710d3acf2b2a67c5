/**
 * `npm run bench`: figures, not assertions. Needs the local Postgres and Redis (as the tests do).
 * - how fast /release commands are acked (Slack allows 3 s), for answers that read Postgres;
 * - how long from `/release start` to the announcement, the tag, and the first status update.
 */
import { RELEASES_CHANNEL, startBot, startWorld, waitFor } from '../test/support/harness.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(
    `${label.padEnd(44)} n=${String(samples.length).padStart(4)}  mean ${mean.toFixed(1).padStart(6)} ms  p50 ${percentile(sorted, 50).toFixed(1).padStart(6)}  p95 ${percentile(sorted, 95).toFixed(1).padStart(6)}  p99 ${percentile(sorted, 99).toFixed(1).padStart(6)}  max ${sorted.at(-1)!.toFixed(1).padStart(6)}`,
  );
}

const world = await startWorld();
const bot = await startBot(world);
try {
  await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  const n = Number(process.env.BENCH_REQUESTS ?? 200);

  const measure = async (text: string) => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) samples.push((await world.slack.sendCommand(bot.eventsUrl, { text, userId: 'U0ENG' })).durationMs);
    return samples;
  };
  summary('ack: /release help', await measure('help'));
  summary('ack: /release start (refused: not above latest)', await measure('start v1.0.0'));
  summary('ack: /release status (no release yet)', await measure('status'));

  const concurrent = await Promise.all(
    Array.from({ length: 50 }, () => world.slack.sendCommand(bot.eventsUrl, { text: 'status', userId: 'U0LEAD' }).then((r) => r.durationMs)),
  );
  summary('ack: 50 concurrent /release status', concurrent);

  const t0 = performance.now();
  const started = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
  const top = await waitFor('announcement', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('Release v1.3.0')));
  const tAnnounced = performance.now();
  await waitFor('tag', () => world.github.tags().some((t) => t.name === 'v1.3.0'));
  const tTagged = performance.now();
  await waitFor('first update', () => world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => m.text.includes('IN PROGRESS')));
  const tUpdate = performance.now();
  await waitFor('complete', () => world.slack.thread(RELEASES_CHANNEL, top.ts).some((m) => m.text.includes('COMPLETED')), 60_000);
  const tDone = performance.now();
  console.log(`\n/release start v1.3.0 acked in ${started.durationMs.toFixed(1)} ms`);
  console.log(`  announced in #releases after ${(tAnnounced - t0).toFixed(0)} ms`);
  console.log(`  tag on GitHub after           ${(tTagged - t0).toFixed(0)} ms`);
  console.log(`  first T+N update after        ${(tUpdate - t0).toFixed(0)} ms (interval 2 s)`);
  console.log(`  completed after               ${(tDone - t0).toFixed(0)} ms (deploy run of 4.5 s)`);
  console.log(`  Slack Web API calls: ${world.slack.calls.length}, GitHub requests: ${world.github.requests.length}`);
} finally {
  await bot.stop();
  await world.close();
}
