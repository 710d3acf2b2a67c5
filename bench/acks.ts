/**
 * Command acks at a steady rate, against tminus and against a bare Bolt app that only acks, in the same run.
 * Each runs in a process of its own, as operators run tminus, and the load comes from a third
 * (`ack-load.ts`): the stand-ins' work and the bench's own never sit in the way of a measured request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BOT_TOKEN, SIGNING_SECRET } from '../test/support/harness.js';
import { p50p99, percentile, table } from './stats.js';

/** The bare Bolt app (`bare-bolt.ts`) in a process of its own, on the Slack stand-in at `slackApiUrl`. */
export async function startBareBolt(slackApiUrl: string): Promise<{ eventsUrl: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-bolt.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slackApiUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare Bolt app exited with ${code}`)));
  });
  return { eventsUrl: `http://127.0.0.1:${port}/slack/events`, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/** `n` signed `/release <text>` at `perSecond` to each target at once (`ack-load.ts`); each target's latencies (ms). */
export async function load(targets: Record<string, string>, text: string, n: number, perSecond: number): Promise<Record<string, number[]>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/ack-load.ts', JSON.stringify({ targets, text, n, perSecond, signingSecret: SIGNING_SECRET })], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the load for /release ${text} failed (${code}): ${err.split('\n').slice(0, 5).join(' ')}`);
  return JSON.parse(out) as Record<string, number[]>;
}

/**
 * Ack p50/p99 of each command beside the bare Bolt app's: `rounds` of `n` requests each at `perSecond`
 * (the two apps' requests interleaved, so both see the machine as it is at the same moment), pooled; the
 * p99 ratio of each round is printed too, to show how much one round alone can move.
 */
export async function ackTable(slackApiUrl: string, tminusEventsUrl: string, options: { n: number; rounds: number; perSecond: number; commands: { label: string; text: string }[] }): Promise<Record<string, { tminus: number[]; bare: number[] }>> {
  const bare = await startBareBolt(slackApiUrl);
  const targets = { tminus: tminusEventsUrl, bare: bare.eventsUrl };
  const results: Record<string, { tminus: number[]; bare: number[]; ratios: number[] }> = {};
  try {
    // Warm both up (JIT, connections) before anything counts.
    for (const c of options.commands) await load(targets, c.text, Math.min(options.n, 1_000), options.perSecond);
    for (let round = 0; round < options.rounds; round++) {
      for (const c of options.commands) {
        const r = await load(targets, c.text, options.n, options.perSecond);
        const pooled = (results[c.label] ??= { tminus: [], bare: [], ratios: [] });
        pooled.tminus.push(...r.tminus!);
        pooled.bare.push(...r.bare!);
        pooled.ratios.push(percentile(r.tminus!, 99) / percentile(r.bare!, 99));
      }
    }
  } finally {
    await bare.stop();
  }
  table(
    [`ack at ${options.perSecond}/s each (${options.rounds} × ${options.n} each)`, 'tminus p50 / p99', 'bare Bolt p50 / p99', 'p99 ratio', 'ratio by round'],
    options.commands.map((c) => {
      const r = results[c.label]!;
      return [c.label, p50p99(r.tminus), p50p99(r.bare), `${(percentile(r.tminus, 99) / percentile(r.bare, 99)).toFixed(2)}×`, r.ratios.map((x) => x.toFixed(2)).join(' ')];
    }),
  );
  return results;
}
