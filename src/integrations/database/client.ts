import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import * as schema from './schema.js';
import { listenPglite, listenPostgres, type Listening, type NotificationHandlers } from './notifications.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  /** LISTEN on `channel`, saying when notifications may have been lost (see notifications.ts). */
  listen(channel: string, handlers: NotificationHandlers): Promise<Listening>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));

/**
 * Postgres through postgres.js when a URL is given; otherwise an embedded PGlite database in `dataDir`,
 * with the same schema and migrations. Migrations run before the handle is returned (on Postgres under an
 * advisory lock; a PGlite directory has one process anyway).
 */
export async function openDatabase(options: { url?: string; dataDir: string }): Promise<DatabaseHandle> {
  if (options.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const client = postgres(options.url, { max: 10, onnotice: () => {} });
    const db = drizzle(client, { schema });
    try {
      await underMigrationLock(client, () => migrate(db, { migrationsFolder }));
    } catch (error) {
      await client.end({ timeout: 5 });
      throw error;
    }
    return {
      db: db as unknown as Database,
      kind: 'postgres',
      ping: async () => void (await db.execute(sql`select 1`)),
      listen: (channel, handlers) => listenPostgres(options.url!, channel, handlers),
      close: () => client.end({ timeout: 5 }),
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = new PGlite(options.dataDir);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Database,
    kind: 'pglite',
    ping: async () => void (await db.execute(sql`select 1`)),
    listen: (channel, handlers) => listenPglite(client, channel, handlers),
    close: () => client.close(),
  };
}

/** Any fixed number of tminus's own: advisory locks are scoped to the database, so tests' databases do not contend. */
const MIGRATION_LOCK_KEY = '7462021833';

/**
 * Replicas that start together migrate one at a time: the first takes the lock and migrates, the others
 * wait for it and find nothing left to do. The lock is held by a connection of its own (a session lock
 * belongs to its connection) and is released with it, also when its process dies.
 */
async function underMigrationLock(client: Sql, run: () => Promise<void>): Promise<void> {
  const connection = await client.reserve();
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    try {
      await run();
    } finally {
      await connection`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
  } finally {
    connection.release();
  }
}
