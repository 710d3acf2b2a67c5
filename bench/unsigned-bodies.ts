/**
 * Memory under unsigned traffic (issue 23): tminus in a process of its own, idle, then 30 concurrent unsigned
 * requests of 24 MB to each of `/slack/events` and `/github/webhook` (half declaring their length, half
 * chunked), sent as fast as the sockets take them. Target: the RSS stays within 50 MB of idle.
 * `npm run bench` runs it as one section; `npm run bench:unsigned` alone.
 */
import { request } from 'node:http';
import { FAST_POLICY, startWorld, type World } from '../test/support/harness.js';
import { botEnvironment, startBotProcess } from '../test/support/process.js';
import { rssOf } from './processes.js';
import { section, table } from './stats.js';

const MB = 1024 * 1024;
const OVERSIZED = 24 * MB;
const CONCURRENT = 30;
const TARGET_MB = 50;

/** One unsigned request streaming `bytes` (declared or chunked) until it is answered or cut; its status. */
function unsigned(port: number, path: string, bytes: number, declared: boolean): Promise<string> {
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/json', ...(declared ? { 'content-length': String(bytes) } : {}) };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers });
    const chunk = Buffer.alloc(256 * 1024, 'a');
    let sent = 0;
    let done = false;
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      req.destroy();
      resolve(outcome);
    };
    req.on('response', (res) => (res.resume(), finish(String(res.statusCode))));
    req.on('error', () => finish('closed'));
    const pump = () => {
      while (!done && sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!done) req.end();
    };
    pump();
    setTimeout(() => finish('timeout'), 30_000).unref();
  });
}

export async function unsignedBodiesBench(world: World): Promise<{ idleMb: number; peakMb: number; afterMb: number; withinTarget: boolean }> {
  section(`memory under ${CONCURRENT} concurrent unsigned ${OVERSIZED / MB} MB requests per route (its own process; target: within ${TARGET_MB} MB of idle)`);
  const bot = await startBotProcess({ ...botEnvironment(world, FAST_POLICY), GITHUB_WEBHOOK_SECRET: 'bench-webhook-secret' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const pid = bot.child.pid!;
    const idle = rssOf(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
    const t0 = performance.now();
    const flood = (path: string) => Array.from({ length: CONCURRENT }, (_, i) => unsigned(bot.port, path, OVERSIZED, i % 2 === 0).then((o) => `${path} ${o}`));
    const outcomes = await Promise.all([...flood('/slack/events'), ...flood('/github/webhook')]);
    const ms = performance.now() - t0;
    peak = Math.max(peak, rssOf(pid));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = rssOf(pid);
    clearInterval(sampler);
    const counts = new Map<string, number>();
    for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    const mb = (n: number) => n / MB;
    table(
      ['RSS', 'MiB'],
      [
        ['idle', mb(idle).toFixed(1)],
        ['peak under load', mb(peak).toFixed(1)],
        ['peak − idle', (mb(peak) - mb(idle)).toFixed(1)],
        ['2 s after', mb(after).toFixed(1)],
      ],
    );
    console.log(`  answers (${(ms / 1000).toFixed(1)} s for all): ${[...counts].map(([o, n]) => `${o} ×${n}`).join(', ')}`);
    const withinTarget = mb(peak) - mb(idle) <= TARGET_MB;
    console.log(`  within ${TARGET_MB} MB of idle: ${withinTarget ? 'yes' : 'NO'}`);
    return { idleMb: mb(idle), peakMb: mb(peak), afterMb: mb(after), withinTarget };
  } finally {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }
}

// Run on its own (`npm run bench:unsigned`): a world of its own, then the figures.
if (import.meta.url === `file://${process.argv[1]}`) {
  const world = await startWorld();
  try {
    const result = await unsignedBodiesBench(world);
    process.exitCode = result.withinTarget ? 0 : 1;
  } finally {
    await world.close();
  }
  process.exit();
}
