import type { PGlite } from '@electric-sql/pglite';
import { createPostgresBackend, createRedisBackend, DEFAULT_SCHEMA, runMigrations, type BackendFactory, type ConnectionOptions, type IQueueBackend, type Queue } from 'bullmq';
import type { RunCoordinator } from 'node-cron';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../database/client.js';
import { PglitePool } from './pglite-pool.js';
import { databaseRunCoordinator, redisRunCoordinator } from './run-coordinator.js';

/** Where the job queues live: Redis when REDIS_URL is set, else tminus's own database (Postgres or the embedded PGlite). */
export type QueueBackendKind = 'redis' | 'postgres' | 'pglite';

export interface QueueBackend {
  kind: QueueBackendKind;
  /** The `connection` option and the backend factory every BullMQ Queue and Worker of tminus is built with. */
  connection: ConnectionOptions;
  factory: BackendFactory;
  /** The worker's own connection (Redis: one that waits for Redis to come back, as BullMQ requires). */
  workerConnection(): ConnectionOptions;
  /** Elects one replica per planned-release scheduler slot. */
  runCoordinator: RunCoordinator;
  /** The name `/healthz` reports the queue's store under. */
  healthName: 'redis' | 'queue';
  /** Answers when the queue's store does (for the database backends: a query on the queue's own tables, through its pool). */
  ping(queue: Queue<unknown, unknown, string, unknown, unknown, string, IQueueBackend>): Promise<void>;
  close(): Promise<void>;
}

export interface QueueBackendOptions {
  /** Set: the queues run on Redis, as before. */
  redisUrl?: string;
  /** The database's URL when `database` is Postgres (the queue opens a `pg` pool of its own on it). */
  databaseUrl?: string;
  database: DatabaseHandle;
  /** The queue prefix: Redis keys, the Postgres schema (`tminus` → `tminus_queue`) and the scheduler's slot keys. */
  prefix: string;
  log: Logger;
}

/** The Postgres schema of a queue prefix: `tminus` → `tminus_queue`, `tminus-sandbox` → `tminus_sandbox_queue`. */
export function queueSchema(prefix: string): string {
  const name = `${prefix}_queue`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z_]/.test(name) ? name.slice(0, 63) : `q_${name}`.slice(0, 63);
}

/** Picks and opens the queue backend; the database backends have migrated their schema when this resolves. */
export async function openQueueBackend(options: QueueBackendOptions): Promise<QueueBackend> {
  if (options.redisUrl) return redisBackend(options.redisUrl, options);
  if (options.database.kind === 'postgres') {
    if (!options.databaseUrl) throw new Error('the Postgres queue backend needs the database URL');
    return postgresBackend(options.databaseUrl, options);
  }
  return pgliteBackend(options);
}

function redisBackend(url: string, options: QueueBackendOptions): QueueBackend {
  // The queue's connection fails fast while Redis is away (a Slack request must not hang on it); the
  // worker's connection waits for Redis to come back, as BullMQ requires.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => options.log.warn({ err: err.message }, 'redis connection error'));
  return {
    kind: 'redis',
    connection: redis,
    factory: createRedisBackend,
    workerConnection: () => redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true }),
    runCoordinator: redisRunCoordinator(redis, options.prefix),
    healthName: 'redis',
    ping: async () => void (await redis.ping()),
    close: async () => redis.disconnect(),
  };
}

/**
 * BullMQ's PostgreSQL backend on tminus's own Postgres, in a schema of its own. Every Queue and Worker
 * gets a `pg` pool of its own (plus, for a worker, one LISTEN connection); the first to connect migrates
 * the schema under BullMQ's advisory lock, so replicas that start together migrate once.
 */
function postgresBackend(url: string, options: QueueBackendOptions): QueueBackend {
  const connection = { connectionString: url, schema: queueSchema(options.prefix), migrate: true, max: 4 };
  const factory: BackendFactory = (name, opts, factoryOptions) => createPostgresBackend(name, { ...opts, connection }, factoryOptions);
  return databaseBackend('postgres', factory, options);
}

/**
 * BullMQ's PostgreSQL backend on the embedded PGlite, through a pg-compatible pool over its one connection.
 * BullMQ pins a caller's pool to its default schema (`bullmq`), which is fine: the PGlite directory is tminus's.
 */
async function pgliteBackend(options: QueueBackendOptions): Promise<QueueBackend> {
  const pglite = (options.database.db as unknown as { $client: PGlite }).$client;
  const pool = new PglitePool(pglite, DEFAULT_SCHEMA);
  // A caller's pool is not migrated by BullMQ: migrate here, on a checkout (its transaction holds PGlite).
  const client = await pool.connect();
  try {
    await runMigrations(client, DEFAULT_SCHEMA);
  } finally {
    client.release();
  }
  const factory: BackendFactory = (name, opts, factoryOptions) => createPostgresBackend(name, { ...opts, connection: pool }, factoryOptions);
  return databaseBackend('pglite', factory, options);
}

function databaseBackend(kind: 'postgres' | 'pglite', factory: BackendFactory, options: QueueBackendOptions): QueueBackend {
  return {
    kind,
    // Ignored by the factory, which brings its own connection; BullMQ's options want one.
    connection: {},
    factory,
    workerConnection: () => ({}),
    runCoordinator: databaseRunCoordinator(options.database.db, options.prefix),
    healthName: 'queue',
    ping: async (queue) => void (await queue.getWaitingCount()),
    close: async () => {},
  };
}
