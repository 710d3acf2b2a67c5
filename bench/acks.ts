/** Command acks at a steady rate, against tminus and against a bare Bolt app that only acks, in the same run. */
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import type { SlackStandIn } from '../src/sandbox/slack.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../test/support/harness.js';
import { p50p99, percentile, table } from './stats.js';

/** A Bolt app with the same receiver and secret as tminus whose /release only acks: the floor for an ack. */
export async function startBareBolt(slack: SlackStandIn): Promise<{ eventsUrl: string; stop(): Promise<void> }> {
  const app = new App({ signingSecret: SIGNING_SECRET, token: BOT_TOKEN, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.apiUrl } });
  app.command('/release', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { eventsUrl: `http://127.0.0.1:${port}/slack/events`, stop: () => app.stop() as Promise<void> };
}

/** Sends `n` signed `/release <text>` at `perSecond`, not waiting for answers (an open loop); each ack's latency. */
export async function paced(slack: SlackStandIn, eventsUrl: string, text: string, n: number, perSecond: number): Promise<number[]> {
  const start = performance.now();
  const sent: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sent.push(
      slack.sendCommand(eventsUrl, { text, userId: 'U0ENG' }).then((r) => {
        if (r.status !== 200) throw new Error(`/release ${text} answered ${r.status}`);
        return r.durationMs;
      }),
    );
  }
  return Promise.all(sent);
}

/**
 * Ack p50/p99 of `help`, `status` and a refused `start` at `perSecond`, each beside the bare Bolt app's,
 * measured in alternating quarter-second turns (so both see the same machine at about the same moment).
 */
export async function ackTable(slack: SlackStandIn, tminusEventsUrl: string, options: { n: number; perSecond: number; commands: { label: string; text: string }[] }): Promise<Record<string, { tminus: number[]; bare: number[] }>> {
  const bare = await startBareBolt(slack);
  const results: Record<string, { tminus: number[]; bare: number[] }> = {};
  try {
    // Warm both up (JIT, connections) before anything counts.
    await paced(slack, bare.eventsUrl, 'help', 100, options.perSecond);
    for (const c of options.commands) await paced(slack, tminusEventsUrl, c.text, 50, options.perSecond);
    for (const c of options.commands) {
      // In turns of a quarter second each: whatever else the machine does meanwhile hits both alike.
      const block = Math.max(1, Math.round(options.perSecond / 4));
      const r = { tminus: [] as number[], bare: [] as number[] };
      for (let sent = 0; sent < options.n; sent += block) {
        r.bare.push(...(await paced(slack, bare.eventsUrl, c.text, Math.min(block, options.n - sent), options.perSecond)));
        r.tminus.push(...(await paced(slack, tminusEventsUrl, c.text, Math.min(block, options.n - sent), options.perSecond)));
      }
      results[c.label] = r;
    }
  } finally {
    await bare.stop();
  }
  table(
    [`ack at ${options.perSecond}/s (n=${options.n} each)`, 'tminus p50 / p99', 'bare Bolt p50 / p99', 'p99 ratio'],
    options.commands.map((c) => {
      const r = results[c.label]!;
      return [c.label, p50p99(r.tminus), p50p99(r.bare), `${(percentile(r.tminus, 99) / percentile(r.bare, 99)).toFixed(2)}×`];
    }),
  );
  return results;
}
