import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/harness.js';
import { approvingUntil, launchTestBrowser, topMessage, type TestBrowser } from './browser-page.js';
import { startTestSandbox, type TestSandbox } from './start-test-sandbox.js';

const OUTPUT = 'test-output';

/** The #releases page in Debian's Chromium, headless, driven as a person would use it. */
describe('the #releases page in a browser', () => {
  let world: TestSandbox;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    world = await startTestSandbox({ speed: 1200 });
    browser = await launchTestBrowser();
    page = browser.page;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(world.sandbox.url);
    await page.locator('#who option').first().waitFor({ state: 'attached' });
    expect(errors).toEqual([]);
    await waitFor('the tags to be read from GitHub', () => world.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterEach(async (context) => {
    // A failing test leaves a picture of what the page showed.
    if (context.task.result?.state === 'fail') await browser?.screenshot(`failed-${context.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const thread = (): Locator => page.locator('#thread .thread-messages');

  it('runs a release typed in the composer: progress edited in place, T+N updates in the thread, the complete message', async () => {
    await page.locator('#composer').fill('/release start v1.3.0');
    await page.locator('#composer').press('Enter');
    await page.locator('#messages .msg.ephemeral', { hasText: 'Starting minor release v1.3.0' }).waitFor();
    expect(await page.locator('#messages .msg.ephemeral .ephemeral-label').first().innerText()).toMatch(/Only visible to you/);

    const top = topMessage(page, 'v1.3.0');
    await top.waitFor();
    const ts = await top.getAttribute('data-ts');
    await top.locator('.thread-summary').click();
    await showing('the release in the thread panel', async () => (await thread().locator('.msg.parent').getAttribute('data-ts')) === ts);

    const headers = new Set<string>();
    await approvingUntil(page, 'the complete message in the thread', async () => {
      headers.add(await top.locator('.bk-header').innerText());
      return (await thread().locator('.msg', { hasText: 'COMPLETED' }).count()) > 0;
    });
    const updates = await thread().locator('.msg', { hasText: /IN PROGRESS · T\+\d+/ }).count();
    expect(updates).toBeGreaterThanOrEqual(2);
    // Still one top-level message for the release, the same one, edited in place as the release went on.
    expect(await topMessage(page, 'v1.3.0').count()).toBe(1);
    expect(await topMessage(page, 'v1.3.0').getAttribute('data-ts')).toBe(ts);
    expect(headers.size).toBeGreaterThanOrEqual(2);
    await showing('the top message saying it completed', async () => (await topMessage(page, 'v1.3.0').innerText()).includes('Release v1.3.0 completed'));
    expect(await top.locator('.edited').count()).toBe(1);
    await showing('the GitHub release in the panel', async () => (await page.locator('#releases').innerText()).includes('v1.3.0'));
    await page.screenshot({ path: join(OUTPUT, 'sandbox-release.png') });

    // Links into the GitHub stand-in open a preview from the sandbox's state (it serves no web pages).
    await top.locator('a', { hasText: 'GitHub Actions run' }).click();
    const preview = page.locator('.modal.preview');
    expect(await preview.locator('.modal-title').innerText()).toContain('v1.3.0');
    expect(await preview.innerText()).toContain('deploy-production: success');
    await preview.locator('.modal-x').click();
  });

  it('shows Datadog in the side panel: what the checks read, controls that change it, and tminus’s events', async () => {
    const panel = page.locator('#datadog');
    const reading = (check: string) => panel.locator(`[data-check="${check}"]`);
    expect(await reading('errorRate').innerText()).toMatch(/✅ Error rate 0\.0\d\d % \(< 0\.100 %\)/);
    expect(await reading('cpu').innerText()).toMatch(/web-1 \d\d\.\d % · web-2 \d\d\.\d %/);
    await showing('the release’s events', async () => /Release v1\.3\.0 completed/.test(await panel.locator('#dd-events').innerText()));
    expect(await panel.locator('#dd-dora').innerText()).toContain('deployment: v1.3.0 to prod');

    await panel.locator('#dd-slow-p99').click();
    await showing('a slow p99', async () => (await reading('latencyP99').getAttribute('class'))?.includes('breach') === true);
    expect(await reading('latencyP99').innerText()).toMatch(/❌ Latency p99 \d{3} ms/);
    await panel.screenshot({ path: join(OUTPUT, 'sandbox-datadog.png') });
    await panel.locator('#dd-healthy').click();
    await showing('healthy values again', async () => (await reading('latencyP99').getAttribute('class'))?.includes('ok') === true);
  });

  it('the scripted minor release narrates the next version to its end', async () => {
    await page.selectOption('#who', 'U0QA');
    await page.locator('#scripted-release').click();
    await showing('the engineer as the current user', async () => (await page.inputValue('#who')) === 'U0ENG');
    await page.locator('#guide', { hasText: '/release start v1.4.0' }).waitFor();
    await approvingUntil(page, 'the guide to say the release is complete', async () => (await page.locator('#guide', { hasText: 'Release v1.4.0 is complete' }).count()) > 0);
    await showing('the v1.4.0 top message saying it completed', async () => (await topMessage(page, 'v1.4.0').innerText()).includes('Release v1.4.0 completed'));
    await page.screenshot({ path: join(OUTPUT, 'sandbox-guide.png') });
  });

  it('renders Block Kit faithfully and sends clicks and choices as block actions', async () => {
    await postAsTminus('chat.postMessage', { channel: 'C0RELEASES', text: 'Block Kit check', blocks: SAMPLE_BLOCKS });
    const message = page.locator('#messages .msg.message', { hasText: 'Block Kit check' });
    await message.waitFor();
    const text = (selector: string) => message.locator(selector).first().innerText();
    expect(await text('.bk-header')).toBe('Block Kit check');
    expect(await text('b')).toBe('bold');
    expect(await text('i')).toBe('italic');
    expect(await text('code')).toBe('code');
    expect(await text('pre')).toBe('pre\n  formatted');
    expect(await text('a[href="https://example.com/run"]')).toBe('the run');
    expect(await message.locator('.mention', { hasText: '@Lee Lead' }).count()).toBe(1);
    expect(await message.locator('.mention', { hasText: '#releases' }).count()).toBe(1);
    expect(await message.locator('.bk-field').count()).toBe(2);
    expect(await text('.bk-context')).toContain('context line');
    expect(await message.locator('.bk-divider').count()).toBe(1);
    expect(await text('.bk-button.primary')).toBe('Go');
    expect(await text('.bk-button.danger')).toBe('Stop');
    expect(await message.locator('.bk-overflow').count()).toBe(1);
    expect(await message.locator('.bk-choices input[type=checkbox]').count()).toBe(1);
    expect(await text('.bk-choices b')).toBe('Smoke tests');

    // Answered here: tminus has no listener for these actions (the route to it is covered by the release above).
    await page.route('**/sandbox/slack/action', (route) => route.fulfill({ json: { status: 200, body: '' } }));
    await page.selectOption('#who', 'U0LEAD');
    const sent = page.waitForRequest((r) => r.url().endsWith('/sandbox/slack/action'));
    await message.locator('.bk-button.danger').click();
    expect((await sent).postDataJSON()).toMatchObject({ userId: 'U0LEAD', actionId: 'stop', value: 'stop-1', channelId: 'C0RELEASES' });
    const chosen = page.waitForRequest((r) => r.url().endsWith('/sandbox/slack/action'));
    await message.locator('select.bk-select').selectOption('b');
    expect((await chosen).postDataJSON()).toMatchObject({ actionId: 'pick', value: 'b', blockId: 'controls' });
    const checked = page.waitForRequest((r) => r.url().endsWith('/sandbox/slack/action'));
    await message.locator('.bk-choices input').check();
    expect((await checked).postDataJSON()).toMatchObject({ actionId: 'checks', selectedOptions: [{ value: 'smoke' }] });
    await page.unroute('**/sandbox/slack/action');
  });

  it('shows a modal tminus opens for the user who clicked, and submits its inputs as a view_submission', async () => {
    await page.selectOption('#who', 'U0LEAD');
    const triggerId = `trigger-${Date.now()}`;
    await world.sandbox.slack.sendCommand(`${world.base}/slack/events`, { text: 'help', userId: 'U0LEAD', triggerId });
    await postAsTminus('views.open', { trigger_id: triggerId, view: SAMPLE_MODAL });
    const modal = page.locator('.modal[data-callback-id="sandbox_check"]');
    await modal.waitFor();
    expect(await modal.locator('.modal-title').innerText()).toBe('Reject v1.3.0');
    await modal.locator('textarea').fill('Checkout latency doubled on staging');
    await modal.locator('select').selectOption('high');
    await modal.locator('label', { hasText: 'Tell support' }).locator('input').check();
    await page.screenshot({ path: join(OUTPUT, 'sandbox-modal.png') });
    await modal.locator('[data-role="submit"]').click();
    const view = await waitFor('the submission to reach the stand-in', () => world.sandbox.slack.views().find((v) => v.view.callback_id === 'sandbox_check' && Object.keys((v.view.state as { values: object }).values).length > 0));
    expect((view.view.state as { values: unknown }).values).toEqual({
      reason: { reason: { type: 'plain_text_input', value: 'Checkout latency doubled on staging' } },
      severity: { severity: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'High' }, value: 'high' } } },
      notify: { notify: { type: 'checkboxes', selected_options: [{ text: { type: 'plain_text', text: 'Tell support' }, value: 'support' }] } },
    });
    // tminus has no listener for this made-up view, so it stays open until the user cancels it.
    await modal.locator('.modal-problem').waitFor();
    await modal.locator('[data-role="close"]').click();
    await modal.waitFor({ state: 'detached' });
  });

  it('rejects through the modal tminus opens for a Reject button, when the release has one', async () => {
    await page.selectOption('#who', 'U0ENG');
    await page.locator('#composer').fill('/release start v1.5.0');
    await page.locator('#composer').press('Enter');
    const top = topMessage(page, 'v1.5.0');
    await top.locator('.thread-summary').click();
    const ts = await top.getAttribute('data-ts');
    await showing('the v1.5.0 thread', async () => (await thread().locator('.msg.parent').getAttribute('data-ts')) === ts);
    const reject = thread().locator('.msg button.bk-button:not([disabled])', { hasText: /^reject/i }).first();
    const gated = await waitFor('a Reject button or the end of the release', async () =>
      (await reject.isVisible()) ? 'gate' : (await thread().locator('.msg', { hasText: /COMPLETED|FAILED/ }).count()) > 0 ? 'no gate' : undefined);
    if (gated === 'no gate') return; // this policy asks for no approval: nothing to reject
    await page.selectOption('#who', 'U0LEAD');
    await reject.click();
    const modal = page.locator('.modal[data-view-id]');
    await modal.waitFor();
    await modal.locator('textarea, input[type=text]').first().fill('Staging smoke tests are flaky');
    await modal.locator('[data-role="submit"]').click();
    await modal.waitFor({ state: 'detached' });
    await thread().locator('.msg', { hasText: /was rejected[\s\S]*Staging smoke tests are flaky/ }).last().waitFor();
    await showing('the top message to say rejected', async () => /rejected/i.test(await top.innerText()));
  });

  it('shows the DORA chart of /release stats in its thread, served by the sandbox and never through the bot token', async () => {
    await page.selectOption('#who', 'U0LEAD');
    await page.locator('#composer').fill('/release stats 30d');
    await page.locator('#composer').press('Enter');
    const figures = page.locator('#messages .msg.message', { has: page.locator('.bk-header', { hasText: 'DORA figures, last 30d' }) }).last();
    await figures.locator('.thread-summary').click();
    const figure = thread().locator('.msg .msg-files figure');
    const chart = figure.locator('img');
    await chart.waitFor();
    expect(await figure.locator('figcaption').innerText()).toBe('DORA figures, last 30d');
    expect(await chart.getAttribute('alt')).toBe('DORA figures, last 30d');
    // Drawn by the browser: it fetched and decoded the picture.
    await showing('the chart decoded', () => chart.evaluate((el) => {
      const img = el as unknown as { complete: boolean; naturalWidth: number };
      return img.complete && img.naturalWidth > 100;
    }));

    const src = (await chart.getAttribute('src')) ?? '';
    expect(src).toMatch(/^\/sandbox\/files\/F[0-9A-F]+$/);
    const served = await fetch(`${world.base}${src}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await served.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const shared = world.sandbox.slack.files.file(src.split('/').pop()!);
    expect(shared && bytes.equals(shared.bytes)).toBe(true);
    await page.screenshot({ path: join(OUTPUT, 'sandbox-stats-thread.png') });
    writeFileSync(join(OUTPUT, 'sandbox-stats-chart.png'), bytes);

    // The page's state names the file but holds neither the bot's token nor the token-only url_private.
    const state = await (await fetch(`${world.base}/sandbox/state`)).text();
    expect(state).toContain(shared!.file.id);
    expect(state).not.toContain(world.sandbox.botToken);
    expect(state).not.toContain('/files-pri/');
    // Only files the stand-in holds: an unknown id, or anything that is not a file id, is refused.
    expect((await fetch(`${world.base}/sandbox/files/F0000000000`)).status).toBe(404);
    expect((await fetch(`${world.base}/sandbox/files/..%2Findex.html`)).status).toBe(404);
  });

  it('shows the App Home with the person switch, and nothing but the Home when tminus sent no direct message', async () => {
    await page.locator('#home-link').click();
    await page.selectOption('#who', 'U0QA');
    const body = page.locator('#home-pane .home-body');
    await body.locator('.blocks').waitFor();
    expect(await page.locator('#home-pane .home-title').innerText()).toBe('tminus · Home of Quinn QA');
    // The switch is in the Home's own header, where it can be used.
    expect(await page.locator('#home-pane .channel-header #who').isVisible()).toBe(true);
    expect(await body.locator('.home-messages').count()).toBe(0);
    expect(await body.innerText()).not.toMatch(/\bnull\b/);
    await page.selectOption('#who', 'U0LEAD');
    await showing('the Home of the person switched to', async () => (await page.locator('#home-pane .home-title').innerText()) === 'tminus · Home of Lee Lead');
    await page.locator('#channel-link').click();
    expect(await page.locator('main.channel-pane:not(.home-pane) .channel-header #who').isVisible()).toBe(true);
  });

  function showing(what: string, check: () => Promise<boolean>) {
    return waitFor(what, check, 20_000);
  }

  async function postAsTminus(method: string, args: Record<string, unknown>) {
    const res = await fetch(`${world.sandbox.slack.apiUrl}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.sandbox.botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(args),
    });
    const body = (await res.json()) as { ok: boolean; error?: string };
    expect(body.error).toBeUndefined();
  }
});

const SAMPLE_BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'Block Kit check' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '*bold* _italic_ `code` <https://example.com/run|the run> <@U0LEAD> <#C0RELEASES>\n```pre\n  formatted```' },
    accessory: { type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, style: 'primary', value: 'go-1' },
  },
  { type: 'section', fields: [{ type: 'mrkdwn', text: '*Type*\nminor' }, { type: 'mrkdwn', text: '*Started by*\n<@U0ENG>' }] },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'context line' }] },
  { type: 'divider' },
  {
    type: 'actions',
    block_id: 'controls',
    elements: [
      { type: 'button', action_id: 'stop', text: { type: 'plain_text', text: 'Stop' }, style: 'danger', value: 'stop-1' },
      { type: 'static_select', action_id: 'pick', placeholder: { type: 'plain_text', text: 'Pick one' }, options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }, { text: { type: 'plain_text', text: 'B' }, value: 'b' }] },
      { type: 'overflow', action_id: 'more', options: [{ text: { type: 'plain_text', text: 'Status' }, value: 'status' }] },
      { type: 'checkboxes', action_id: 'checks', options: [{ text: { type: 'mrkdwn', text: '*Smoke tests* passed' }, value: 'smoke' }] },
    ],
  },
];

const SAMPLE_MODAL = {
  type: 'modal',
  callback_id: 'sandbox_check',
  title: { type: 'plain_text', text: 'Reject v1.3.0' },
  submit: { type: 'plain_text', text: 'Reject' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    { type: 'section', text: { type: 'mrkdwn', text: 'Say why, so that <@U0ENG> knows what to fix.' } },
    { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason', multiline: true } },
    {
      type: 'input',
      block_id: 'severity',
      label: { type: 'plain_text', text: 'Severity' },
      element: { type: 'static_select', action_id: 'severity', options: [{ text: { type: 'plain_text', text: 'High' }, value: 'high' }, { text: { type: 'plain_text', text: 'Low' }, value: 'low' }] },
    },
    {
      type: 'input',
      block_id: 'notify',
      optional: true,
      label: { type: 'plain_text', text: 'Also' },
      element: { type: 'checkboxes', action_id: 'notify', options: [{ text: { type: 'plain_text', text: 'Tell support' }, value: 'support' }] },
    },
  ],
};
