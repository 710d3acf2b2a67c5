import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOT_TOKEN, DD_API_KEY, DD_APP_KEY, RELEASES_CHANNEL, SIGNING_SECRET, withTestGates, type World } from './harness.js';

/** tminus as operators run it: `src/main.ts` in a process of its own, configured only by its environment. */
export interface BotProcess {
  child: ChildProcess;
  port: number;
  eventsUrl: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function botEnvironment(world: World, policyYaml: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'tminus-policy-'));
  const policyPath = join(dir, 'policy.yaml');
  writeFileSync(policyPath, withTestGates(policyYaml));
  return {
    PORT: '0',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: world.slack.apiUrl,
    RELEASES_CHANNEL,
    GITHUB_TOKEN: world.github.token,
    GITHUB_API_URL: world.github.url,
    GITHUB_REPOSITORY: world.github.fullName,
    DATABASE_URL: world.databaseUrl,
    REDIS_URL: world.redisUrl,
    QUEUE_PREFIX: world.queuePrefix,
    RELEASE_POLICY: policyPath,
    // The world's Datadog reads the post-deploy checks, as startBot's does.
    DD_API_KEY,
    DD_APP_KEY,
    DATADOG_API_URL: world.datadog.url,
    LOG_LEVEL: 'info',
  };
}

/**
 * The suite run with the date moved (`faketime`, see the README): the bot's process keeps the test's clock, as
 * processes on one machine share its clock.
 */
function sameClock(): Record<string, string> {
  const names = Object.keys(process.env).filter((name) => name === 'LD_PRELOAD' || name.startsWith('FAKETIME') || name === 'DONT_FAKE_MONOTONIC');
  return Object.fromEntries(names.map((name) => [name, process.env[name] ?? '']));
}

export async function startBotProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...sameClock(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tminus did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = output.match(/"port":(\d+)[^\n]*"msg":"tminus is running"/);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tminus exited with ${code} before it started:\n${output}`));
    });
  });
  return { child, port, eventsUrl: `http://127.0.0.1:${port}/slack/events`, output: () => output, exited };
}

/**
 * `src/main.ts` as `npm start` runs it, with only `env` (and PATH, HOME): nothing of this shell leaks in.
 * `preload`: modules for Node's `--import` before tsx (what a test watches the start with).
 */
export function runMain(env: Record<string, string>, preload: string[] = []) {
  const child = spawn(process.execPath, [...preload.flatMap((m) => ['--import', m]), '--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  return { child, output: () => output, exited, hasExited: () => code !== undefined };
}

/** A port nothing listens on: taken from the system, then let go. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
