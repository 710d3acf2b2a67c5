import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlackStandIn } from '../src/sandbox/slack.js';
import { BOT_TOKEN, createTestDatabase, NO_GATES, RELEASES_CHANNEL, SIGNING_SECRET, startWorld, waitFor, type World } from './support/harness.js';
import { botEnvironment, closedPort, runMain, startBotProcess, type BotProcess } from './support/process.js';

/** A process of tminus takes seconds to load its modules on a busy machine. */
const PROCESS_TEST_MS = 120_000;
/** Bolt, BullMQ, ioredis, the Slack Web API client and Datadog's: what takes seconds to load. */
const HEAVY_PACKAGES = ['@slack/bolt', '@slack/web-api', 'bullmq', 'ioredis', '@datadog/datadog-api-client', 'postgres', 'pg'];
/** What a start that failed must never show: a log line, a stack frame, a Node crash banner, or a claim that it runs. */
const NOT_ONE_LINE = /"level"|\n\s+at |Node\.js v|Uncaught|tminus is running/;

/** `src/main.ts` as `npm start` runs it, with only `env` (and PATH, HOME), to its end. */
async function runToExit(env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number | null; output: string; ms: number; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tminus-startup-'));
  const loadedFile = join(dir, 'loaded.json');
  const started = performance.now();
  const run = runMain({ LOADED_PACKAGES_FILE: loadedFile, ...env }, ['./test/support/loaded-packages.mjs']);
  try {
    await waitFor('tminus to exit', run.hasExited, timeoutMs);
  } finally {
    if (!run.hasExited()) run.child.kill('SIGKILL');
  }
  const ms = performance.now() - started;
  const loaded = JSON.parse(readFileSync(loadedFile, 'utf8')) as string[];
  rmSync(dir, { recursive: true, force: true });
  return { code: await run.exited, output: run.output(), ms, loaded };
}

function policyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tminus-policy-'));
  writeFileSync(join(dir, 'policy.yaml'), NO_GATES);
  return join(dir, 'policy.yaml');
}

/** A whole Slack-mode environment; each test breaks one thing in it. */
function slackEnvironment(databaseUrl: string, overrides: Record<string, string>): Record<string, string> {
  return {
    PORT: '0',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    RELEASES_CHANNEL,
    GITHUB_TOKEN: 'ghs_test',
    GITHUB_API_URL: 'http://127.0.0.1:9/',
    GITHUB_REPOSITORY: 'acme/platform',
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: `tminus-startup-${process.pid}`,
    RELEASE_POLICY: policyFile(),
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

describe('a start that cannot succeed ends with one clear line and exit 1, before anything says it runs', () => {
  let database: { url: string; drop(): Promise<void> };
  let slack: SlackStandIn;
  beforeAll(async () => {
    database = await createTestDatabase();
    slack = await SlackStandIn.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  });
  afterAll(async () => {
    await slack?.close();
    await database?.drop();
  });

  it('a configuration error: its message alone, at once, before Bolt, BullMQ or any client is loaded', async () => {
    const env = { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: 'not-a-bot-token', RELEASES_CHANNEL, GITHUB_TOKEN: 'ghs_x' };
    const run = await runToExit({ ...env, GITHUB_REPOSITORY: 'acme/platform' });
    expect(run.code).toBe(1);
    expect(run.output).toBe('tminus cannot start.\nInvalid environment:\n  SLACK_BOT_TOKEN must be a bot token (xoxb-…)\n');
    expect(run.loaded.filter((name) => HEAVY_PACKAGES.includes(name))).toEqual([]);
    // Loading those took 10-16 s on this machine; node and tsx alone take one or two.
    expect(run.ms, `exited after ${Math.round(run.ms)} ms`).toBeLessThan(8_000);
  }, PROCESS_TEST_MS);

  it('a database that refuses: one line naming DATABASE_URL (password hidden), where, and why', async () => {
    const port = await closedPort();
    const run = await runToExit(slackEnvironment(`postgres://tminus:hunter2secret@127.0.0.1:${port}/tminus`, {}));
    expect(run.code).toBe(1);
    expect(run.output).toBe(`tminus cannot reach its database at DATABASE_URL=postgres://tminus:***@127.0.0.1:${port}/tminus: connection refused\n`);
    expect(run.output).not.toContain('hunter2secret');
  }, PROCESS_TEST_MS);

  it('Slack unreachable: one line naming where tminus looked for Slack and why', async () => {
    const port = await closedPort();
    const run = await runToExit(slackEnvironment(database.url, { SLACK_API_URL: `http://127.0.0.1:${port}/api/` }));
    expect(run.code).toBe(1);
    expect(run.output).not.toMatch(NOT_ONE_LINE);
    expect(run.output).toBe(`tminus cannot reach Slack at http://127.0.0.1:${port}/api/: connection refused\n`);
  }, PROCESS_TEST_MS);

  it('a bot token Slack refuses: one line naming SLACK_BOT_TOKEN and what Slack said', async () => {
    const run = await runToExit(slackEnvironment(database.url, { SLACK_API_URL: slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-revoked-long-ago' }));
    expect(run.code).toBe(1);
    expect(run.output).not.toMatch(NOT_ONE_LINE);
    expect(run.output).toBe('SLACK_BOT_TOKEN was refused by Slack (invalid_auth)\n');
  }, PROCESS_TEST_MS);

  it('REDIS_URL set and Redis refusing: one line naming REDIS_URL', async () => {
    const port = await closedPort();
    const run = await runToExit(slackEnvironment(database.url, { SLACK_API_URL: slack.apiUrl, REDIS_URL: `redis://:cachepassword@127.0.0.1:${port}` }));
    expect(run.code).toBe(1);
    expect(run.output).toBe(`tminus cannot reach Redis at REDIS_URL=redis://:***@127.0.0.1:${port}: connection refused\n`);
  }, PROCESS_TEST_MS);
});

describe('Slack going away after the start is logged and retried; the process lives on', () => {
  let world: World;
  let bot: BotProcess | undefined;
  let slackAgain: SlackStandIn | undefined;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    bot?.child.kill('SIGKILL');
    await slackAgain?.close();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('a release started while Slack is down is announced once Slack answers again', async () => {
    bot = await startBotProcess(botEnvironment(world, `statusUpdates: { interval: 30s }\nplanning: { enforceCadence: false }\n${NO_GATES}`));
    const slackPort = Number(new URL(world.slack.apiUrl).port);
    await world.slack.close();
    const answer = await waitFor('the tags to be read, and the release to start', async () => {
      const res = await world.slack.sendCommand(bot!.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
      return JSON.stringify(res.body).includes('Starting minor release') ? res : undefined;
    });
    expect(answer.status).toBe(200);
    const failedAnnouncement = () => /"job":"announce-release"[^\n]*ECONNREFUSED/.test(bot!.output());
    await waitFor('the failed announcement in the log', failedAnnouncement, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${bot!.output()}`);
    });
    expect(bot.child.exitCode).toBeNull();

    const users = [{ id: 'U0ENG', name: 'erin', realName: 'Erin Engineer' }];
    slackAgain = await SlackStandIn.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, port: slackPort, users });
    await waitFor('the release message, once Slack is back', () => slackAgain!.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes('v1.3.0')), 90_000);
    expect(bot.child.exitCode).toBeNull();
    expect(bot.output()).not.toMatch(/unhandled rejection|Uncaught|Node\.js v/);
  }, 240_000);
});

describe('the sandbox says where to open it, plainly and last', () => {
  it('prints `tminus sandbox: open <url>` as its own line once everything listens, and that URL answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tminus-sandbox-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...{ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        ...{ PORT: '0', DATA_DIR: dataDir, QUEUE_PREFIX: `tminus-sandbox-startup-${process.pid}`, LOG_LEVEL: 'info' },
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const lines = () => stdout.split('\n').filter((line) => line !== '');
      const plain = (line: string) => line.startsWith('tminus sandbox: open ');
      // Both the plain line and the log's own line of the start (JSON) are out: then their order is known.
      const bothOut = () => lines().some(plain) && lines().some((l) => l.includes('"msg":"tminus sandbox: open'));
      await waitFor('the sandbox to say where to open it', bothOut, 150_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${stdout}`);
      });
      const all = lines();
      const line = all.find(plain)!;
      expect(line).toMatch(/^tminus sandbox: open http:\/\/127\.0\.0\.1:\d+\/$/);
      const before = all.slice(0, all.indexOf(line)).join('\n');
      expect(before).toContain('"msg":"tminus is running"');
      expect(before).toContain('"msg":"tminus sandbox: open');
      const url = line.slice('tminus sandbox: open '.length);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

