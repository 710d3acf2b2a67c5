/** tminus as operators run it (`src/main.ts` in a process of its own): start-up time and memory. */
import { readFileSync } from 'node:fs';
import { FAST_POLICY, type World } from '../test/support/harness.js';
import { pgliteDirectory, withoutRedis } from '../test/support/no-redis.js';
import { botEnvironment, startBotProcess, type BotProcess } from '../test/support/process.js';
import { load } from './acks.js';

export type Setup = 'postgres+redis' | 'postgres' | 'pglite+redis' | 'pglite';

/** RSS of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

async function stop(bot: BotProcess): Promise<void> {
  bot.child.kill('SIGTERM');
  const killed = setTimeout(() => bot.child.kill('SIGKILL'), 10_000);
  await bot.exited;
  clearTimeout(killed);
}

/** Spawns tminus with `setup`, and the ms from spawn to the first `/healthz` 200. */
export async function startUp(world: World, setup: Setup): Promise<{ bot: BotProcess; ms: number; cleanup(): void }> {
  const env = botEnvironment(world, FAST_POLICY);
  const pglite = setup.startsWith('pglite') ? pgliteDirectory() : undefined;
  let chosen = env;
  if (pglite) {
    const { DATABASE_URL: _url, ...rest } = env;
    chosen = { ...rest, DATA_DIR: pglite.dataDir };
  }
  if (!setup.endsWith('redis')) chosen = withoutRedis(chosen, pglite ? { dataDir: pglite.dataDir } : {});
  const t0 = performance.now();
  const bot = await startBotProcess(chosen);
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${bot.port}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (performance.now() - t0 > 60_000) throw new Error(`no /healthz 200 within 60 s:\n${bot.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { bot, ms: performance.now() - t0, cleanup: () => pglite?.remove() };
}

/** Start-up time for each setup; a setup that cannot start says why in one line. */
export async function startUpTimes(world: World, setups: Setup[]): Promise<Record<Setup, string>> {
  const out = {} as Record<Setup, string>;
  for (const setup of setups) {
    try {
      const { bot, ms, cleanup } = await startUp(world, setup);
      out[setup] = `${ms.toFixed(0)} ms`;
      await stop(bot);
      cleanup();
    } catch (error) {
      out[setup] = `n/a (${String(error instanceof Error ? error.message : error).split('\n')[0]!.slice(0, 80)})`;
    }
  }
  return out;
}

/** Idle RSS (after start-up settles) and the highest RSS under `seconds` of `/release status` at `perSecond`. */
export async function memory(world: World, options: { perSecond: number; seconds: number }): Promise<{ idle: number; loaded: number }> {
  const { bot } = await startUp(world, 'postgres+redis');
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = rssOf(bot.child.pid!);
    let loaded = idle;
    const sampler = setInterval(() => (loaded = Math.max(loaded, rssOf(bot.child.pid!))), 50);
    await load({ tminus: bot.eventsUrl }, 'status', options.perSecond * options.seconds, options.perSecond);
    clearInterval(sampler);
    loaded = Math.max(loaded, rssOf(bot.child.pid!));
    return { idle, loaded };
  } finally {
    await stop(bot);
  }
}
