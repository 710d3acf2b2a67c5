import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { SandboxConfig } from '../../src/config.js';
import { loadPolicy } from '../../src/domain/policy.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';
import { testRedisUrl } from '../support/env.js';
import { createTestDatabase, deleteQueueKeys } from '../support/harness.js';
import { pgliteDirectory } from '../support/no-redis.js';

/**
 * Release day at 1200×: T+N updates every 10 virtual minutes (half a real second), the whole day in about 5 s.
 * The production gate's T+60 pre-deployment checks are off, as in the harness: these tests approve, they tick nothing.
 */
export const QUICK_POLICY = `
statusUpdates:
  interval: 10m
deploy:
  pollInterval: 1m
preDeploymentChecks:
  items: []
`;

export interface TestSandbox {
  sandbox: Sandbox;
  /** Where the page posts to, e.g. http://localhost:1234 */
  base: string;
  close(): Promise<void>;
}

/**
 * The sandbox as `npm start` runs it, on a free port, with a fresh database and queue prefix of its own.
 * `redis: false`: as on a machine with only Node.js, no Redis and no Postgres (queues and data on an embedded PGlite).
 */
export async function startTestSandbox(options: { speed: number; policy?: string; redis?: boolean; dataDir?: string; log?: Logger }): Promise<TestSandbox> {
  if (options.redis === false) return startBareSandbox(options);
  const database = await createTestDatabase();
  const queuePrefix = `tminus-sandbox-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const config: SandboxConfig = {
    mode: 'sandbox',
    port: 0,
    databaseUrl: database.url,
    dataDir: '',
    redisUrl: testRedisUrl(),
    queuePrefix,
    releasePolicyPath: undefined,
    speed: options.speed,
    logLevel: 'silent',
  };
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sandbox = await startSandbox({ config, policy: loadPolicy(options.policy ?? QUICK_POLICY, 'test policy'), log }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  return {
    sandbox,
    base: sandbox.url.replace(/\/$/, ''),
    close: async () => {
      await sandbox.stop();
      await database.drop();
      await deleteQueueKeys(testRedisUrl(), queuePrefix);
    },
  };
}

/** `dataDir`: the data directory of an earlier run, kept at close (the caller removes it); by default a fresh one, removed. */
async function startBareSandbox(options: { speed: number; policy?: string; dataDir?: string; log?: Logger }): Promise<TestSandbox> {
  const directory = options.dataDir === undefined ? pgliteDirectory() : { dataDir: options.dataDir, remove: () => {} };
  const config: SandboxConfig = { mode: 'sandbox', port: 0, dataDir: directory.dataDir, databaseUrl: undefined, redisUrl: undefined, queuePrefix: 'tminus-sandbox', releasePolicyPath: undefined, speed: options.speed, logLevel: 'silent' };
  const log = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sandbox = await startSandbox({ config, policy: loadPolicy(options.policy ?? QUICK_POLICY, 'test policy'), log }).catch((error: unknown) => {
    directory.remove();
    throw error;
  });
  return {
    sandbox,
    base: sandbox.url.replace(/\/$/, ''),
    close: async () => {
      await sandbox.stop();
      directory.remove();
    },
  };
}

/** POSTs JSON to a sandbox route, as the page does. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Buttons whose label says approve, in a message's blocks. */
export function approveButtons(blocks: unknown[]): { action_id: string; value?: string }[] {
  const found: { action_id: string; value?: string }[] = [];
  for (const block of blocks as { elements?: unknown[]; accessory?: unknown }[]) {
    for (const el of [...(block.elements ?? []), block.accessory] as { type?: string; text?: { text?: string }; action_id?: string; value?: string }[]) {
      if (el?.type === 'button' && el.action_id && /approve/i.test(el.text?.text ?? '')) found.push({ action_id: el.action_id, value: el.value });
    }
  }
  return found;
}

/** Who is asked to approve, in the order a test tries them: the leads first (a requester cannot approve their own release). */
export const APPROVERS = ['U0LEAD', 'U0VPENG', 'U0CTO', 'U0DEVOPS', 'U0QA', 'U0ONCALL'];

/** Presses each Approve button tminus shows, through the page's route, each time as the next lead not yet used for it. */
export async function approveWhatIsAsked(base: string, messages: StoredMessage[], clicked: Set<string>): Promise<void> {
  for (const message of messages) {
    for (const button of approveButtons(message.blocks)) {
      const userId = APPROVERS.find((u) => !clicked.has(`${message.ts}:${button.action_id}:${u}`));
      if (!userId) continue;
      clicked.add(`${message.ts}:${button.action_id}:${userId}`);
      await postJson(`${base}/sandbox/slack/action`, { userId, channelId: message.channel, messageTs: message.ts, actionId: button.action_id, value: button.value });
    }
  }
}
