import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import type { SandboxConfig } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../integrations/database/client.js';
import * as schema from '../integrations/database/schema.js';
import { rememberedReleases, type Remembered } from './demo-world.js';
import { readWorld, WORLD_FILE, type World } from './world-store.js';

/**
 * tminus's database and the stand-ins' world, opened together so they never disagree: both as they were
 * left, or (the world unreadable, or missing beside a database that has data) both afresh, said plainly.
 */
export interface SandboxData {
  database: DatabaseHandle;
  /** The world to restore; undefined on a first start, a fresh one, or when nothing is kept (no data directory). */
  world?: World;
  /** What the page and the log say when the sandbox started afresh over data it could not use. */
  notice?: string;
  /** What tminus's database holds (nothing after a fresh start); only used where no world is kept. */
  remembered: Remembered;
}

const NOTHING: Remembered = { released: [], tagged: [], latestAt: 0 };

export async function openSandboxData(config: SandboxConfig, log: Logger): Promise<SandboxData> {
  // Without a data directory (tests on a fresh Postgres) nothing is kept: the repository is seeded from the database.
  if (config.dataDir === '') {
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    return { database, remembered: await rememberedReleases(database).catch(closing(database)) };
  }
  const kept = readWorld(config.dataDir);
  let reason = kept.kind === 'unreadable' ? kept.reason : undefined;
  const embedded = config.databaseUrl === undefined;
  if (embedded && kept.kind === 'none' && existsSync(join(config.dataDir, 'PG_VERSION'))) reason = `${join(config.dataDir, WORLD_FILE)} is missing`;
  if (reason !== undefined && embedded) emptyDirectory(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const remembered = await rememberedReleases(database).catch(closing(database));
  if (reason === undefined && kept.kind === 'none' && holdsReleases(remembered)) reason = `${join(config.dataDir, WORLD_FILE)} is missing`;
  if (reason === undefined) return { database, remembered: kept.kind === 'read' ? remembered : NOTHING, ...(kept.kind === 'read' ? { world: kept.world } : {}) };
  if (!embedded) await emptyDatabase(database).catch(closing(database));
  const notice = `The sandbox's world could not be read (${reason}); started afresh: tminus's database too, so the two agree.`;
  log.warn({ dataDir: config.dataDir }, notice);
  return { database, notice, remembered: NOTHING };
}

function holdsReleases(remembered: Remembered): boolean {
  return remembered.released.length > 0 || remembered.tagged.length > 0 || remembered.latestAt > 0;
}

/** The embedded database and the world file go together: the directory is emptied, not removed (it may be a mount). */
function emptyDirectory(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
}

/** A sandbox on Postgres (DATABASE_URL) keeps its data there: tminus's tables are emptied. */
async function emptyDatabase(database: DatabaseHandle): Promise<void> {
  const names = (Object.values(schema) as unknown[]).flatMap((value) => (is(value, PgTable) ? [`"${getTableName(value)}"`] : []));
  await database.db.execute(sql.raw(`TRUNCATE ${names.join(', ')} CASCADE`));
}

function closing(database: DatabaseHandle) {
  return async (error: unknown): Promise<never> => {
    await database.close().catch(() => {});
    throw error;
  };
}
