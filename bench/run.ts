/**
 * `npm run bench`: figures, not assertions. Needs the local Postgres and Redis (as the tests do).
 * - how fast /release commands are acked (Slack allows 3 s), for answers that read Postgres;
 * - how long from `/release start` to the announcement, the tag, and the first status update;
 * - the event loop while 20 people ask /release stats at once (charts drawn in a worker thread);
 * - acks at 200 requests/s beside a bare Bolt app that only acks (each in a process of its own, the load from a third);
 * - GitHub event → Slack edit, with webhooks and with polling only; GitHub calls per 90-minute release;
 * - tminus's memory idle and under load, and its start-up time on each database and queue;
 * - its memory under 30 concurrent oversized unsigned requests per route (bench/unsigned-bodies.ts).
 */
import os from 'node:os';
import { NO_GATES, RELEASES_CHANNEL, startBot, startWorld, waitFor, withTestTimings } from '../test/support/harness.js';
import type { WorkflowScript } from '../src/sandbox/github.js';
import { botEnvironment, startBotProcess } from '../test/support/process.js';
import { ackTable } from './acks.js';
import { memory, startUpTimes, type Setup } from './processes.js';
import { runRelease, type ReleaseRun } from './release-runs.js';
import { unsignedBodiesBench } from './unsigned-bodies.js';
import { chartsAtOnce } from './charts.js';
import { p50p99, percentile, section, summary, table } from './stats.js';

const benchStart = performance.now();
const MINUTE = 60_000;
const MILESTONES = { 'build-images': 'Docker images built', 'deploy-staging': 'Deployed to staging', 'deploy-production': 'Deployed to production', verify: 'Post-release verification' };
const workflow = (ms: { images: number; staging: number; production: number; verify: number }): WorkflowScript => ({
  trigger: 'tag',
  jobs: [
    { name: 'build-images', steps: ['Build admin-portal', 'Build wallet-web', 'Build ai-agents'], durationMs: ms.images },
    { name: 'deploy-staging', steps: ['Deploy to staging', 'Run smoke tests'], durationMs: ms.staging },
    { name: 'deploy-production', steps: ['Create pre-deployment backup', 'Deploy new containers', 'Run smoke tests'], durationMs: ms.production },
    { name: 'verify', steps: ['Verify metrics', 'Post-deployment checks'], durationMs: ms.verify },
  ],
});

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);

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

  const charts = await chartsAtOnce(world, bot);
  console.log(`\n20 × /release stats at once in #releases (charts drawn in a worker thread, issue 23):`);
  console.log(`  event loop: longest stall ${charts.loopMaxMs.toFixed(0)} ms, p99 ${charts.loopP99Ms.toFixed(0)} ms (drawn on the loop: 448 ms)`);
  summary('  ack: /release help meanwhile', charts.acks);
} finally {
  await bot.stop();
}

// The same world (v1.3.0 completed, its watch running) served by tminus as operators run it.
const perSecond = Number(process.env.BENCH_RATE ?? 200);
section(`command acks at ${perSecond} requests/s: tminus (its own process, Postgres + Redis, the default policy) beside a bare Bolt app that only acks`);
const served = await startBotProcess(botEnvironment(world, `planning: { enforceCadence: false }\n${NO_GATES}`));
let acks: Awaited<ReturnType<typeof ackTable>>;
try {
  acks = await ackTable(world.slack.apiUrl, served.eventsUrl, {
    n: Number(process.env.BENCH_PACED ?? 3_000),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    perSecond,
    commands: [
      { label: '/release help', text: 'help' },
      { label: '/release status (v1.3.0 completed)', text: 'status' },
      { label: '/release start v1.0.0 (refused)', text: 'start v1.0.0' },
    ],
  });
} finally {
  served.child.kill('SIGTERM');
  await served.exited;
  await world.close();
}

// Real time, the guide's polling interval (15 s) and a 7-second deploy: what a person watching Slack sees.
section('GitHub event → Slack edit of the progress view (real time; deploy.pollInterval 15s, pollIntervalWithWebhooks 10m)');
const realTime = { speed: 1, workflow: workflow({ images: 2_000, staging: 1_500, production: 1_500, verify: 1_500 }), policy: withTestTimings(`planning: { enforceCadence: false }\n${NO_GATES}`), milestones: MILESTONES, timeoutMs: 60_000 };
const hooked = await runRelease({ ...realTime, webhooks: true });
const polled = await runRelease({ ...realTime, webhooks: false });
table(
  ['event → Slack', 'p50 / p99', 'n', 'max'],
  [
    ['with webhooks', p50p99(hooked.eventToSlack, 0), String(hooked.eventToSlack.length), `${Math.max(...hooked.eventToSlack, 0)} ms`],
    ['polling only', p50p99(polled.eventToSlack, 0), String(polled.eventToSlack.length), `${Math.max(...polled.eventToSlack, 0)} ms`],
  ],
);

// The guide's release day at speed: T+30 images, T+45 staging, T+60 production, verification to T+85.
const SPEED = Number(process.env.BENCH_SPEED ?? 150);
section(`GitHub API calls per release day (90 minutes simulated at ${SPEED}×, the guide's timings, default policy)`);
const releaseDay = {
  speed: SPEED,
  workflow: workflow({ images: 30 * MINUTE, staging: 15 * MINUTE, production: 15 * MINUTE, verify: 25 * MINUTE }),
  policy: `planning: { enforceCadence: false }\n${NO_GATES}`,
  milestones: MILESTONES,
  timeoutMs: (100 * MINUTE) / SPEED + 30_000,
};
const dayHooked = await runRelease({ ...releaseDay, webhooks: true });
const dayPolled = await runRelease({ ...releaseDay, webhooks: false });
const row = (label: string, r: ReleaseRun) => [label, String(r.githubCalls), String(r.polls), r.outcome, `${(r.realMs / 1000).toFixed(1)} s`];
table(['GitHub calls per release', 'calls', 'deploy polls', 'outcome', 'real time'], [row('with webhooks', dayHooked), row('polling only', dayPolled)]);
console.log(`  (polls due at deploy.pollInterval 15s over the 85-minute run: ${(85 * MINUTE) / 15_000}; fewer made means tminus fell behind the ${SPEED}× clock)`);
console.log(`  with webhooks, by route: ${dayHooked.byRoute.map(([r, c]) => `${r} ${c}`).join(', ')}`);
console.log(`  polling only, by route:  ${dayPolled.byRoute.slice(0, 6).map(([r, c]) => `${r} ${c}`).join(', ')}`);

section('tminus in a process of its own (node --import tsx src/main.ts)');
const procWorld = await startWorld();
let unsigned: Awaited<ReturnType<typeof unsignedBodiesBench>> | undefined;
try {
  const rss = await memory(procWorld, { perSecond: 200, seconds: 5 });
  console.log(`RSS idle ${(rss.idle / 2 ** 20).toFixed(0)} MiB; loaded (5 s of /release status at 200/s) ${(rss.loaded / 2 ** 20).toFixed(0)} MiB`);
  const setups: Setup[] = ['postgres+redis', 'postgres', 'pglite+redis', 'pglite'];
  const times = await startUpTimes(procWorld, setups);
  const names: Record<Setup, string> = { 'postgres+redis': 'Postgres, queues on Redis', postgres: 'Postgres, no Redis (queues on Postgres)', 'pglite+redis': 'PGlite, queues on Redis', pglite: 'PGlite, no Redis (queues on PGlite)' };
  table(['start-up to /healthz 200', 'time'], setups.map((s) => [names[s], times[s]]));
  unsigned = await unsignedBodiesBench(procWorld);
} finally {
  await procWorld.close();
}

section('targets (issue 12)');
const status = acks['/release status (v1.3.0 completed)']!;
console.log(`status ack p99 within 1.5× bare Bolt: ${percentile(status.tminus, 99).toFixed(1)} ms against ${percentile(status.bare, 99).toFixed(1)} ms (${(percentile(status.tminus, 99) / percentile(status.bare, 99)).toFixed(2)}×)`);
console.log(`webhook event → Slack p99 under 1 s: ${p50p99(hooked.eventToSlack, 0).split(' / ')[1]}`);
console.log(`fewer than 50 GitHub calls per release with webhooks: ${dayHooked.githubCalls}`);
if (unsigned) console.log(`RSS under 30 concurrent unsigned 24 MB requests per route within 50 MB of idle (issue 23): +${(unsigned.peakMb - unsigned.idleMb).toFixed(1)} MiB`);
console.log(`\nbench ran in ${((performance.now() - benchStart) / 1000).toFixed(0)} s`);
// Stand-ins' keep-alive sockets would hold the process a while longer: the figures are out, so end here.
process.exit(0);
