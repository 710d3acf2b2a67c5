import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/config.js';
import { testRedisUrl } from '../support/env.js';
import { deleteQueueKeys, waitFor } from '../support/harness.js';
import { runMain } from '../support/process.js';

/** Runs main.ts to its end; fails the test if it is still running at the deadline. */
async function runToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const run = runMain(env);
  try {
    await waitFor('tminus to exit', run.hasExited, timeoutMs);
  } finally {
    if (!run.hasExited()) run.child.kill('SIGKILL');
  }
  return { code: await run.exited, output: run.output() };
}

/** A TCP listener that only counts who connects: standing in for a database or Redis that must not be reached. */
async function countingListener(host: string): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether a TCP connection to host:port opens (anything else, refused or silent, counts as not). */
function connects(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (opened: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(opened);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** This machine's IPv4 addresses that are not loopback (none on some machines: those parts are then skipped). */
const OTHER_ADDRESSES = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
  .map((a) => a!.address);

/** No log line at all: the configuration is refused before a logger, a connection or a listener exists. */
const NEVER_STARTED = /"level"|tminus is running|tminus sandbox: open/;
/** A process of tminus takes seconds to load its modules on a busy machine; a sandbox two of them, plus PGlite's migrations. */
const PROCESS_TEST_MS = 120_000;
const SANDBOX_TEST_MS = 180_000;

describe('safe modes: a production environment never becomes the sandbox, the sandbox never reaches production', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, SANDBOX_TEST_MS);

  it('SLACK_BOT_TOKEN= (a secret not filled in) stops tminus with a message naming it, before anything listens', async () => {
    const { code, output } = await runToExit({ SLACK_BOT_TOKEN: '', PORT: '0' });
    expect(code).not.toBe(0);
    expect(output).toContain('SLACK_BOT_TOKEN is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox');
    expect(output).not.toMatch(NEVER_STARTED);
  }, PROCESS_TEST_MS);

  it('all three Slack variables empty stop tminus too (the issue as reported)', async () => {
    const { code, output } = await runToExit({ SLACK_SIGNING_SECRET: '', SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '', PORT: '0' });
    expect(code).not.toBe(0);
    for (const name of ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']) expect(output).toContain(`${name} is set but empty`);
    expect(output).not.toMatch(NEVER_STARTED);
  }, PROCESS_TEST_MS);

  it('the sandbox refuses a DATABASE_URL, naming it and SANDBOX_ALLOW_EXTERNAL, and connects to nothing', async () => {
    const refused = await runToExit({ DATABASE_URL: 'postgres://db.internal/prod', PORT: '0' });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/DATABASE_URL is set, and the sandbox refuses .*SANDBOX_ALLOW_EXTERNAL=1/);
    expect(refused.output).not.toMatch(NEVER_STARTED);

    // A local address is refused as well (a tunnel to production looks local), before any connection.
    const database = await countingListener('127.0.0.1');
    cleanups.push(() => database.close());
    const local = await runToExit({ DATABASE_URL: `postgres://tminus@127.0.0.1:${database.port}/prod`, PORT: '0' });
    expect(local.code).not.toBe(0);
    expect(local.output).toContain('DATABASE_URL is set');
    expect(database.connections()).toBe(0);
  }, PROCESS_TEST_MS);

  it('the sandbox refuses a Redis on another host, before connecting to it', async () => {
    const address = OTHER_ADDRESSES[0];
    const redis = address ? await countingListener(address) : undefined;
    if (redis) cleanups.push(() => redis.close());
    const url = redis ? `redis://${address}:${redis.port}` : 'redis://cache.internal:6379';
    const { code, output } = await runToExit({ REDIS_URL: url, PORT: '0' });
    expect(code).not.toBe(0);
    expect(output).toContain(`REDIS_URL points at ${address ?? 'cache.internal'}, not this machine`);
    expect(output).toContain('SANDBOX_ALLOW_EXTERNAL=1');
    expect(output).not.toMatch(NEVER_STARTED);
    expect(redis?.connections() ?? 0).toBe(0);
  }, PROCESS_TEST_MS);

  /** The sandbox with this machine's defaults, but a data dir and queue prefix of its own; resolves once it says its URL. */
  async function startSandboxProcess(extra: Record<string, string> = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tminus-sandbox-'));
    const queuePrefix = `tminus-sandbox-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const redisUrl = testRedisUrl();
    const run = runMain({
      PORT: '0',
      DATA_DIR: dataDir,
      QUEUE_PREFIX: queuePrefix,
      REDIS_URL: redisUrl,
      // Only when the tests' Redis is elsewhere (TEST_REDIS_URL): the sandbox would refuse it otherwise.
      ...(isLoopbackHost(new URL(redisUrl).hostname) ? {} : { SANDBOX_ALLOW_EXTERNAL: '1' }),
      LOG_LEVEL: 'info',
      ...extra,
    });
    cleanups.push(async () => {
      if (!run.hasExited()) run.child.kill('SIGTERM');
      await waitFor('the sandbox to stop', run.hasExited, 40_000).catch(() => run.child.kill('SIGKILL'));
      await deleteQueueKeys(redisUrl, queuePrefix);
      rmSync(dataDir, { recursive: true, force: true });
    });

    // The moment the line is printed, the URL must answer: one attempt, no retry.
    let answered: Promise<number | string> | undefined;
    let line: { url: string; host: string; port: number } | undefined;
    run.child.stdout.on('data', () => {
      if (answered) return;
      const found = run
        .output()
        .split('\n')
        .find((l) => l.includes('tminus sandbox: open http'));
      if (!found) return;
      line = JSON.parse(found) as { url: string; host: string; port: number };
      answered = fetch(line.url).then(
        (res) => res.status,
        (error: unknown) => String((error as { cause?: unknown }).cause ?? error),
      );
    });
    await waitFor("the sandbox's URL", () => answered !== undefined || run.hasExited(), 150_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${run.output()}`);
    });
    expect(run.hasExited(), run.output()).toBe(false);
    return { run, line: line!, status: await answered! };
  }

  it('the sandbox with defaults listens on 127.0.0.1 only, and says its URL once that URL answers', async () => {
    const { run, line, status } = await startSandboxProcess();
    expect(status).toBe(200);
    expect(line.host).toBe('127.0.0.1');
    expect(line.url).toBe(`http://127.0.0.1:${line.port}/`);
    const output = run.output();
    expect(output.indexOf('tminus is running')).toBeGreaterThan(-1);
    expect(output.indexOf('tminus is running')).toBeLessThan(output.indexOf('tminus sandbox: open'));

    expect(await connects('127.0.0.1', line.port)).toBe(true);
    // Not on this machine's other addresses (skipped where there are none).
    for (const address of OTHER_ADDRESSES) expect(await connects(address, line.port), address).toBe(false);
  }, SANDBOX_TEST_MS);

  it.skipIf(OTHER_ADDRESSES.length === 0)('HOST moves the sandbox to another address (and the check above would see it)', async () => {
    const address = OTHER_ADDRESSES[0]!;
    const { run, line, status } = await startSandboxProcess({ HOST: address });
    expect(status).toBe(200);
    expect(line.url).toBe(`http://${address}:${line.port}/`);
    expect(await connects(address, line.port)).toBe(true);
    expect(await connects('127.0.0.1', line.port)).toBe(false);
    expect(run.output()).toContain(`the sandbox listens on ${address}: anyone who reaches it can act as anyone`);
  }, SANDBOX_TEST_MS);
});
