import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WORLD_FILE } from '../../src/sandbox/world-store.js';
import { waitFor } from '../support/harness.js';
import { approvingUntil, launchTestBrowser, topMessage, type TestBrowser } from './browser-page.js';
import { startTestSandbox, type TestSandbox } from './start-test-sandbox.js';


/**
 * `npm start`, a release, Ctrl-C, `npm start` again on the same data directory: the #releases page in Chromium
 * shows the same channel, repository and releases, tminus agrees with them, and its next post lands in the old thread.
 */
describe('the sandbox across a restart, in a browser', () => {
  let browser: TestBrowser;
  let page: Page;
  let dataDir: string;
  let world: TestSandbox | undefined;
  const logged: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (logged.push(chunk.toString('utf8')), done()) }));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tminus-sandbox-restart-'));
    browser = await launchTestBrowser();
    page = browser.page;
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') await browser?.screenshot(`failed-restart-${context.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm start` on the data directory (no Redis: the queues and tminus's data in PGlite there), the page opened. */
  async function start(): Promise<TestSandbox> {
    world = await startTestSandbox({ speed: 1200, redis: false, dataDir, log });
    await page.goto(world.sandbox.url);
    await page.locator('#who option').first().waitFor({ state: 'attached' });
    return world;
  }
  async function stop(): Promise<void> {
    await world?.close();
    world = undefined;
  }

  const topMessages = (): Locator => page.locator('#messages .msg.message');
  const thread = (): Locator => page.locator('#thread .thread-messages');
  const showing = (what: string, check: () => Promise<boolean>) => waitFor(what, check, 30_000);

  /** What the page shows of the channel, the repository and the clock. */
  async function shown() {
    const messages = await topMessages().evaluateAll((els) => els.map((el) => ({ ts: el.getAttribute('data-ts'), header: el.querySelector('.bk-header')?.textContent ?? '' })));
    const tags = await page.locator('#tags li').allInnerTexts();
    const releases = (await page.locator('#releases li a').allInnerTexts()).sort();
    return { messages, tags, releases };
  }

  /** `/release status v1.3.0` typed in the composer: the ephemeral answer's text and its thread link's ts. */
  async function releaseStatus(): Promise<{ text: string; threadTs: string | undefined }> {
    await page.selectOption('#who', 'U0ENG');
    // Ephemeral answers are this page's alone, and each start opens a new one.
    const answers = page.locator('#messages .msg.ephemeral');
    const before = await answers.count();
    await page.locator('#composer').fill('/release status v1.3.0');
    await page.locator('#composer').press('Enter');
    const answer = answers.nth(before);
    await answer.waitFor();
    const link = answer.locator('a', { hasText: 'Thread' });
    const href = (await link.count()) > 0 ? await link.getAttribute('href') : null;
    const digits = /\/p(\d+)(\d{6})\b/.exec(href ?? '');
    return { text: await answer.innerText(), threadTs: digits ? `${digits[1]}.${digits[2]}` : undefined };
  }

  it('keeps the channel, the repository and the releases, and tminus’s next post lands in the old thread', async () => {
    const first = await start();
    await waitFor('the tags read from GitHub', () => first.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
    await page.locator('#composer').fill('/release start v1.3.0');
    await page.locator('#composer').press('Enter');
    const top = topMessage(page, 'v1.3.0');
    await top.waitFor();
    const ts = await top.getAttribute('data-ts');
    await top.locator('.thread-summary').click();
    await approvingUntil(page, 'the complete message in the thread', async () => (await thread().locator('.msg', { hasText: 'COMPLETED' }).count()) > 0, 60_000);
    await showing('the GitHub release in the panel', async () => (await page.locator('#releases').innerText()).includes('v1.3.0'));
    const status = await releaseStatus();
    expect(status.threadTs).toBe(ts);
    const before = await shown();
    const tagged = first.sandbox.github.tags().find((t) => t.name === 'v1.3.0');
    const repliesBefore = first.sandbox.slack.thread('C0RELEASES', ts!).length;
    const live = (sandbox: TestSandbox) => sandbox.sandbox.slack.thread('C0RELEASES', ts!).find((m) => m.text.startsWith('🔎'));
    const liveBefore = live(first)?.text;
    await stop();
    const stoppedAt = (JSON.parse(readFileSync(join(dataDir, WORLD_FILE), 'utf8')) as { virtualNow: number }).virtualNow;

    const second = await start();
    expect(second.sandbox.clock.now()).toBeGreaterThanOrEqual(stoppedAt);
    await showing('the channel as it was', async () => (await topMessages().count()) === before.messages.length);
    const after = await shown();
    expect(after.messages.map((m) => m.ts)).toEqual(before.messages.map((m) => m.ts));
    expect(after.tags).toEqual(before.tags);
    expect(after.releases).toEqual(before.releases);
    expect(after.releases).toEqual(expect.arrayContaining(['v1.2.0', 'v1.3.0']));
    expect(second.sandbox.github.tags().find((t) => t.name === 'v1.3.0')).toEqual(tagged);
    expect(logged.join('')).not.toContain('could not be read');

    // tminus agrees: the release is where it was, its thread is the kept message, and the repository has its tag.
    const again = await releaseStatus();
    expect(again.threadTs).toBe(ts);
    expect(again.text.split('\n')[0]).toBe(status.text.split('\n')[0]);
    await topMessage(page, 'v1.3.0').locator('.thread-summary').click();
    await showing('the kept thread in the panel', async () => (await thread().locator('.msg.parent').getAttribute('data-ts')) === ts);
    expect(await thread().locator('.msg', { hasText: 'COMPLETED' }).count()).toBeGreaterThan(0);

    // The verification goes on (hourly in the first day): its next run edits the live message in that thread (or
    // replies there), never a new top-level message.
    expect(liveBefore).toBeDefined();
    await waitFor('tminus’s next verification run, in the thread', () => live(second)?.text !== liveBefore || second.sandbox.slack.thread('C0RELEASES', ts!).length > repliesBefore, 60_000);
    expect(second.sandbox.slack.thread('C0RELEASES', ts!).filter((m) => m.text.startsWith('🔎'))).toHaveLength(1);
    const orphans = second.sandbox.slack.topLevel('C0RELEASES').filter((m) => !before.messages.some((b) => b.ts === m.ts));
    expect(orphans.map((m) => m.text)).toEqual([]);
    const newReplies = second.sandbox.slack.thread('C0RELEASES', ts!).slice(repliesBefore);
    for (const reply of newReplies) expect(Number(reply.ts)).toBeGreaterThan(stoppedAt / 1000);
    await browser.screenshot('sandbox-restart');
    await stop();
  }, 240_000);

  it('starts both afresh, and says so, when world.json cannot be read', async () => {
    await stop();
    writeFileSync(join(dataDir, WORLD_FILE), '{"version": 1, "slack": ');
    const fresh = await start();
    expect(logged.join('')).toMatch(/The sandbox's world could not be read \(.*world\.json: .*\); started afresh/);
    await page.locator('#messages .msg', { hasText: "The sandbox's world could not be read" }).waitFor();
    // tminus's database started afresh too: no release remembered, none in the channel, the demo repository again.
    expect(await fresh.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.3.0'))).toBe(false);
    expect(fresh.sandbox.slack.topLevel('C0RELEASES')).toEqual([]);
    expect(fresh.sandbox.github.tags().map((t) => t.name)).toEqual(['v1.2.0']);
    const status = await releaseStatus();
    expect(status.text).not.toContain('Release v1.3.0:');
    expect(status.threadTs).toBeUndefined();
    await stop();
  }, 120_000);
});
