import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startTminus } from '../../src/app.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { openDatabase } from '../../src/integrations/database/client.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { botOf, BOT_TOKEN, DD_API_KEY, DD_APP_KEY, FAST_POLICY, RELEASES_CHANNEL, SIGNING_SECRET, withTestTimings, type Bot, type World } from './harness.js';

/** A fresh directory for an embedded PGlite database, removed by `remove`. */
export function pgliteDirectory(): { dataDir: string; remove(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'tminus-pglite-'));
  return { dataDir, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * tminus in this process as `startBot` starts it, but with no Redis: its job queues run on its database,
 * the world's Postgres (`{ on: 'postgres' }`) or an embedded PGlite in `dataDir` (`{ on: 'pglite' }`).
 */
export async function startBotWithoutRedis(world: World, options: { on: 'postgres' } | { on: 'pglite'; dataDir: string }, settings: { policy?: string } = {}): Promise<Bot> {
  const policy = loadPolicy(withTestTimings(settings.policy ?? FAST_POLICY), 'test policy');
  const databaseUrl = options.on === 'postgres' ? world.databaseUrl : undefined;
  const database = await openDatabase(options.on === 'postgres' ? { url: world.databaseUrl, dataDir: '' } : { dataDir: options.dataDir });
  const tminus = await startTminus({
    port: 0,
    slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
    github: createReleaseRepository({ token: world.github.token, apiUrl: world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
    observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: world.datadog.url, timeoutMs: 2_000 }),
    database,
    databaseUrl,
    queuePrefix: world.queuePrefix,
    policy,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  return botOf(tminus, database, policy);
}

/** A bot process's environment with no Redis (REDIS_URL unset); without `DATABASE_URL` too, it runs on PGlite in `DATA_DIR`. */
export function withoutRedis(env: Record<string, string>, options: { dataDir?: string } = {}): Record<string, string> {
  const { REDIS_URL: _redis, DATABASE_URL: databaseUrl, ...rest } = env;
  return options.dataDir ? { ...rest, DATA_DIR: options.dataDir } : { ...rest, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
}
