import postgres from 'postgres';
import { Redis } from 'ioredis';
import { testDatabaseAdminUrl, testRedisUrl } from './env.js';

/** Fails the run at once, with the command to fix it, when Postgres or Redis is not there. */
export default async function setup(): Promise<() => Promise<void>> {
  const sql = postgres(testDatabaseAdminUrl(), { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new Error(`Tests need Postgres at ${testDatabaseAdminUrl()} (start it with .ci/run or pg_ctlcluster): ${String(error)}`, { cause: error });
  }
  // Databases left behind by an interrupted run (its process is gone) are dropped; a run that is
  // still going on elsewhere on this machine keeps its own.
  const stale = await sql<{ datname: string }[]>`select datname from pg_database where datname like 'tminus_test_%'`;
  for (const { datname } of stale) {
    const pid = Number(datname.split('_')[2]);
    if (Number.isInteger(pid) && !processIsAlive(pid)) {
      await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    }
  }
  await sql.end();

  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Tests need Redis at ${testRedisUrl()} (start it with .ci/run or redis-server): ${String(error)}`, { cause: error });
  } finally {
    redis.disconnect();
  }
  return async () => {};
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
