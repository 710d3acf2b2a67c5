import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postKeys } from '../../src/jobs/context.js';
import { Posts } from '../../src/services/posts.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { BOT_TOKEN, realClock, RELEASES_CHANNEL, startBot, startWorld, steadySeries, visibleText, waitFor, type Bot, type World } from '../support/harness.js';
import { secondsWatchPolicy } from '../support/watch-policy.js';

/**
 * The guide's watch on a test clock in seconds: "First hour" is 12 runs a second
 * apart (the guide's 12 runs every 5 minutes), then two runs for "First 24 hours" and five for "First week".
 * Not stable before the watch is over, so the thread holds only what verification says.
 */
const POLICY = secondsWatchPolicy({
  stableAfter: '60s',
  schedule: [
    { label: 'First hour', until: '12s', every: '1s' },
    { label: 'First 24 hours', until: '14s', every: '1s' },
    { label: 'First week', until: '24s', every: '2s' },
  ],
});

/** The error rate the world's service answers with, one point a second (the other checks stay healthy). */
function errorRate(world: World, value: number): void {
  world.datadog.setSeries(/trace\.web\.request\.errors/, steadySeries('*', value));
}

const keyOf = (m: StoredMessage) => String(m.metadata?.event_payload.key ?? '');
/** Every version a message was shown in, oldest first. */
const versions = (m: StoredMessage) => [...m.history, m].map(visibleText);
const runOf = (text: string) => Number(/· run (\d+) of/.exec(text)?.[1] ?? 0);

describe('verification posts that do not flood the thread', () => {
  let world: World;
  let bots: Bot[] = [];

  beforeAll(async () => {
    world = await startWorld();
    bots = [await startBot(world, { policy: POLICY })];
    await waitFor('the tags to be read', () => bots[0]!.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await world?.close();
  });

  const thread = (top: StoredMessage) => world.slack.thread(RELEASES_CHANNEL, top.ts);
  /** The replies verification posted: the live message, changes and milestones. */
  const verificationReplies = (top: StoredMessage) => thread(top).filter((m) => keyOf(m).startsWith('verification'));
  const live = (top: StoredMessage) => thread(top).filter((m) => keyOf(m).startsWith('verification-live:'));
  const milestones = (top: StoredMessage) => thread(top).filter((m) => keyOf(m).startsWith('verification-milestone:'));
  const changes = (top: StoredMessage) => thread(top).filter((m) => keyOf(m).startsWith('verification-change:'));
  const liveRun = (top: StoredMessage) => (live(top)[0] ? runOf(visibleText(live(top)[0]!)) : 0);

  async function release(version: string): Promise<StoredMessage> {
    await world.slack.sendCommand(bots[0]!.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    const top = await waitFor(`the ${version} message`, () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `)));
    await waitFor(`${version} to complete`, () => bots[0]!.tminus.store.findByVersion(version).then((r) => r?.state === 'completed'), 60_000);
    return top;
  }

  it('12 healthy runs in the first hour: one live message edited by each run, and the T+1 h summary once, with a graph that fits the thread', async () => {
    errorRate(world, 0.02);
    const top = await release('v1.3.0');
    const hour = await waitFor('the T+1 h summary', () => milestones(top)[0], 60_000);
    expect(hour.text).toMatch(/^📍 First hour of verification done: v1\.3\.0 · 12s after the deploy: ✅ All checks healthy/);
    expect(visibleText(hour)).toMatch(/✅ Error rate: 0\.020 % \(threshold < 0\.100 %\)/);
    // The first hour: the live message and the summary, nothing else.
    const [message] = live(top);
    expect(verificationReplies(top).map((m) => m.ts)).toEqual([message!.ts, hour.ts]);
    // Created by run 1, edited by runs 2 to 12, each once and in order.
    const shown = versions(message!).map((t) => runOf(t)).filter((n) => n <= 12);
    expect(shown).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(message!.text).toMatch(/^🔎 Verification of v1\.3\.0 \(live\): ✅ All checks healthy/);
    expect(visibleText(message!)).toMatch(/Read at \d\d:\d\d UTC \(\d+s after the deploy\) · run \d+ of 19 · next run at \d\d:\d\d UTC|the watch is over/);
    // Each check with its readings so far as a sparkline.
    expect(visibleText(message!)).toMatch(/✅ Latency p99: 210 ms \(threshold < 400 ms\) {2}`▁+`/);
    // The graph, 2:1 and 800 px wide (Slack's thread), on the summary only.
    const image = hour.blocks.find((b) => (b as { type: string }).type === 'image') as { image_url: string } | undefined;
    expect(image?.image_url).toMatch(/\/snapshot\/view\/.*\.png$/);
    expect(world.datadog.snapshots().find((s) => s.url === image!.image_url)).toMatchObject({ width: 800, height: 400 });
    expect(message!.blocks.some((b) => (b as { type: string }).type === 'image')).toBe(false);

    // To the end of the watch: the T+24 h summary and the final "verified" one, each once; still one live message.
    const final = await waitFor('the final summary', () => milestones(top).find((m) => m.text.includes('verified')), 60_000);
    expect(final.text).toMatch(/^✅ v1\.3\.0 verified: post-release verification done · 24s after the deploy/);
    const heads = milestones(top).map((m) => m.text.slice(0, 40));
    expect(heads).toEqual([hour.text.slice(0, 40), expect.stringMatching(/^📍 First 24 hours/), final.text.slice(0, 40)]);
    await waitFor('the live message to show the last run', () => liveRun(top) === 19);
    expect(visibleText(live(top)[0]!)).toContain('the watch is over');
    expect(live(top)).toHaveLength(1);
    expect(changes(top)).toHaveLength(0);
  }, 120_000);

  it('a breach mid-hour is one more reply and its recovery one more; the breach is still alerted in #releases', async () => {
    errorRate(world, 0.02);
    const top = await release('v1.4.0');
    await waitFor('the fourth run', () => liveRun(top) >= 4, 30_000);
    errorRate(world, 0.5);
    const breached = await waitFor('the breach reply', () => changes(top)[0], 30_000);
    expect(breached.text).toMatch(/^🔔 Verification of v1\.4\.0 · \d+s after the deploy: Error rate breached/);
    expect(visibleText(breached)).toContain('❌ Error rate: 0.500 % (threshold < 0.100 %)');
    const alerts = () => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('🚨') && m.text.includes('v1.4.0'));
    const alert = await waitFor('the alert in #releases', () => alerts()[0]);
    expect(alert.text).toContain('HIGH');
    await waitFor('the live message to show the breach', () => live(top)[0]?.text.includes('❌ 1 check breached'));
    const runsWhileBreached = liveRun(top) + 2;
    await waitFor('two more runs while breached', () => liveRun(top) >= runsWhileBreached, 30_000);
    // Still breached, same severity: nothing new to say.
    expect(changes(top)).toHaveLength(1);
    errorRate(world, 0.02);
    const recovered = await waitFor('the recovery reply', () => changes(top)[1], 30_000);
    expect(recovered.text).toMatch(/^✅ Verification of v1\.4\.0 · \d+s after the deploy: Error rate is healthy again/);
    await waitFor('the T+1 h summary', () => milestones(top)[0], 60_000);
    const kinds = verificationReplies(top).map((m) => keyOf(m).split(':')[0]);
    expect(kinds).toEqual(['verification-live', 'verification-change', 'verification-change', 'verification-milestone']);
    expect(alerts()).toHaveLength(1);
  }, 120_000);

  it('a restart mid-hour and two replicas after it: still one live message, edited on; deleted by someone, it is posted again once', async () => {
    errorRate(world, 0.02);
    const top = await release('v1.5.0');
    await waitFor('the third run', () => liveRun(top) >= 3, 30_000);
    await bots[0]!.stop();
    bots = [];
    const before = liveRun(top);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    bots = [await startBot(world, { policy: POLICY }), await startBot(world, { policy: POLICY })];
    await waitFor('runs after the restart', () => liveRun(top) >= before + 3, 30_000);
    expect(live(top)).toHaveLength(1);

    // Someone deletes the live message: the next run posts it again, once, and later runs edit the new one.
    const gone = live(top)[0]!;
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    await slack.chat.delete({ channel: RELEASES_CHANNEL, ts: gone.ts });
    const again = await waitFor('the live message posted again', () => live(top).find((m) => m.ts !== gone.ts), 30_000);
    const afterRepost = liveRun(top);
    await waitFor('a run editing the new live message', () => liveRun(top) > afterRepost, 30_000);
    expect(live(top).map((m) => m.ts)).toEqual([again.ts]);
    const v150 = (await bots[0]!.tminus.store.findByVersion('v1.5.0'))!;
    const posts = new Posts(bots[0]!.database.db, slack, realClock);
    expect(await posts.tsOf(postKeys.verificationLive(v150.id))).toBe(again.ts);

    // Slack refuses two edits (429, then a 500): the job tries again, and the runs go on editing the one message.
    world.slack.rateLimitNext('chat.update', 1);
    world.slack.failNext('chat.update', { status: 500 });
    const beforeFaults = liveRun(top);
    await waitFor('runs after Slack refused two edits', () => liveRun(top) >= beforeFaults + 2, 40_000);
    expect(live(top).map((m) => m.ts)).toEqual([again.ts]);

    // A late job, read before what the message shows, leaves it as it is.
    const shownNow = live(top)[0]!.text;
    const target = { releaseId: v150.id, channel: RELEASES_CHANNEL, threadTs: top.ts };
    const older = await posts.replaceAsOf(postKeys.verificationLive(v150.id), target, { text: '🔎 old readings', blocks: [] }, new Date(Date.now() - 60_000));
    expect(older).toBe('older');
    expect(live(top)[0]!.text).not.toBe('🔎 old readings');
    expect(live(top)[0]!.text.slice(0, 30)).toBe(shownNow.slice(0, 30));

    await waitFor('the T+1 h summary', () => milestones(top)[0], 60_000);
    expect(milestones(top)).toHaveLength(1);
    expect(changes(top)).toHaveLength(0);
  }, 150_000);
});
