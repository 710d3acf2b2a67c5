import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoraRecords } from '../../src/integrations/database/dora-records.js';
import { ReleaseStore } from '../../src/integrations/database/release-store.js';
import type { ReleaseEvent } from '../../src/domain/release.js';
import { RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, realClock, type Bot, type World } from '../support/harness.js';

const DAY = 24 * 60 * 60_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let world: World;
let bot: Bot;

/** A release taken through the state machine as release day would: each step audited, as tminus records it. */
async function deployed(store: ReleaseStore, version: string, deployedAt: Date, then: ReleaseEvent[] = []): Promise<string> {
  const created = await store.create({ version, type: 'patch', previousVersion: null, requestedBy: 'U0ENG', requestId: `req-${version}`, channelId: RELEASES_CHANNEL, startedAt: new Date(deployedAt.getTime() - 60 * 60_000) });
  if (!created.ok) throw new Error(created.conflict);
  const id = created.release.id;
  for (const event of ['tag_created', 'deploy_run_found'] as const) expect((await store.apply(id, event)).ok).toBe(true);
  expect((await store.apply(id, 'deploy_succeeded', { set: { finishedAt: deployedAt } })).ok).toBe(true);
  expect((await store.apply(id, 'post_deploy_checks_passed')).ok).toBe(true);
  for (const event of then) {
    const set =
      event === 'start_rollback'
        ? { rollback: { by: 'U0ENG', reason: 'errors', toVersion: 'v1.2.0', detectedAt: new Date(deployedAt.getTime() + 60 * 60_000).toISOString(), startedAt: new Date(deployedAt.getTime() + 62 * 60_000).toISOString(), restoredAt: new Date(deployedAt.getTime() + 90 * 60_000).toISOString(), checklist: {} } }
        : {};
    expect((await store.apply(id, event, { set })).ok).toBe(true);
  }
  return id;
}

beforeAll(async () => {
  world = await startWorld();
  bot = await startBot(world);
  const store = new ReleaseStore(bot.database.db, realClock);
  const now = Date.now();
  const first = await deployed(store, 'v1.3.0', new Date(now - 10 * DAY));
  await new DoraRecords(bot.database.db, realClock).recordChanges(first, [{ number: 14, firstCommitAt: new Date(now - 12 * DAY) }], {});
  await deployed(store, 'v1.3.1', new Date(now - 5 * DAY), ['start_rollback', 'rollback_succeeded']);
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await world?.close();
});

describe('/release stats', () => {
  it('acks at once, then posts the four figures and a PNG chart in their thread', async () => {
    const ack = await world.slack.sendCommand(bot.eventsUrl, { text: 'stats 30d', userId: 'U0ENG', channelId: RELEASES_CHANNEL });
    expect(ack.status).toBe(200);
    expect(ack.durationMs).toBeLessThan(3_000);
    expect(visibleText(ack.body as { text: string; blocks: unknown[] })).toContain('Computing the DORA figures of the last 30d');

    const figures = await waitFor('the DORA figures in the channel', () => world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.startsWith('DORA figures, last 30d')), 60_000);
    const shown = visibleText(figures);
    // Two deployments in 30 days: 0.5 a week (medium); one rolled back: 50 % (low); #14 48 h (2d); restored in 30 min (elite).
    expect(shown).toContain('0.5 a week (2 deployments)');
    expect(shown).toContain('🟡 Medium');
    expect(shown).toContain('50% (1 of 2)');
    expect(shown).toContain('2d median (1 pull request)');
    expect(shown).toContain('30m median (1 restore)');

    const chart = await waitFor('the chart in the thread', () => world.slack.thread(RELEASES_CHANNEL, figures.ts).find((m) => (m.files ?? []).length > 0), 60_000);
    const file = chart.files![0]!;
    expect(file).toMatchObject({ mimetype: 'image/png', filetype: 'png', title: 'DORA figures, last 30d' });
    expect(file.permalink).toMatch(/^https:\/\/sandbox\.slack\.com\/files\//);
    const stored = world.slack.files.file(file.id)!;
    expect(stored.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(stored.bytes.length).toBeGreaterThan(10_000);
    expect(stored.file.size).toBe(stored.bytes.length);
    // url_private serves the same bytes to the bot's token only, like Slack.
    const download = await fetch(file.url_private, { headers: { authorization: 'Bearer xoxb-test-token' } });
    expect(Buffer.from(await download.arrayBuffer()).equals(stored.bytes)).toBe(true);
    expect((await fetch(file.url_private, { redirect: 'manual' })).status).toBe(302);

    // The asker's "computing" answer is replaced with where to look.
    await waitFor('the asker told where the figures are', () => world.slack.responses().some((r) => JSON.stringify(r.body).includes('posted in this channel')), 30_000);
  }, 120_000);

  it('refuses a window it does not know, with the usage', async () => {
    const ack = await world.slack.sendCommand(bot.eventsUrl, { text: 'stats 7y', userId: 'U0ENG', channelId: RELEASES_CHANNEL });
    const text = visibleText(ack.body as { text: string; blocks: unknown[] });
    expect(text).toContain('"7y" is not a window: give 30d, 90d or 12w');
    expect(text).toContain('/release stats [30d|90d|12w]');
  });
});

describe('the Slack stand-in’s uploads are as strict as Slack', () => {
  it('refuses to complete a file id it never gave, or one never uploaded', async () => {
    const { WebClient } = await import('@slack/web-api');
    const client = new WebClient('xoxb-test-token', { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(client.files.completeUploadExternal({ files: [{ id: 'F0NOPE' }], channel_id: RELEASES_CHANNEL })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'a.png', length: 10 });
    await expect(client.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: RELEASES_CHANNEL })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    await expect(client.files.getUploadURLExternal({ filename: '', length: 0 })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
  });
});
