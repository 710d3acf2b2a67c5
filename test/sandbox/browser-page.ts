import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { waitFor } from '../support/harness.js';
import { APPROVERS } from './start-test-sandbox.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = 'test-output';

/** Debian's Chromium, headless, in a profile of its own: the browser the sandbox's page tests drive. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Keeps a picture of what the page showed (in test-output/), for a test that failed. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchTestBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser test needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'tminus-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1600, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(OUTPUT, { recursive: true });
  return {
    context,
    page,
    screenshot: async (name) => void (await page.screenshot({ path: join(OUTPUT, `${name.slice(0, 48).replace(/\W+/g, '-')}.png`) })),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A release's top message in the channel (Playwright's text match ignores case: "Minor release vX" would match too). */
export const topMessage = (page: Page, version: string): Locator =>
  page.locator('#messages .msg.message', { has: page.locator('.bk-header', { hasText: new RegExp(`Release ${version.replace(/\./g, '\\.')} `) }) });

/** Until `done` holds, presses any Approve button it sees, each time as the next lead (switched with “You are”). */
export async function approvingUntil(page: Page, what: string, done: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const used = new Set<string>();
  await waitFor(what, async () => {
    if (await done()) return true;
    const approve = page.locator('.msg button.bk-button:not([disabled])', { hasText: /^approve/i }).first();
    const next = APPROVERS.find((u) => !used.has(u));
    if (next && (await approve.isVisible().catch(() => false))) {
      used.add(next);
      await page.selectOption('#who', next);
      const button = await approve.elementHandle();
      await approve.click();
      // The gate message is redrawn when the approval counts (a refused click leaves it as it was).
      await button?.waitForElementState('hidden', { timeout: 5_000 }).catch(() => {});
    }
    return false;
  }, timeoutMs);
}
