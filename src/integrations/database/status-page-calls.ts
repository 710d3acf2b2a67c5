import { and, eq, like, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { syncState } from './schema.js';

/**
 * One call to the status page, claimed before it is made (`sync_state`, key `status-page:…`): `claimed`
 * while its answer is unknown, `not_sent` when the page turned it away unprocessed (429, refused connection),
 * `done` with the incident's id once answered, `refused` when the page said no (4xx).
 */
export interface StatusPageCall {
  claimedAt: string;
  attempts: number;
  outcome: 'claimed' | 'not_sent' | 'done' | 'refused';
  /** The incident's name and the status it was created with or moved to. */
  name?: string;
  status?: string;
  incidentId?: string;
  /** Why the page refused it (4xx): not tried again. */
  error?: string;
  releaseId?: string;
  planId?: string;
}

const PREFIX = 'status-page:';

/** The status page's calls, each claimed once in Postgres (compare-and-set on the claim). */
export class StatusPageCalls {
  constructor(private readonly db: Database) {}

  async find(key: string): Promise<StatusPageCall | undefined> {
    const [row] = await this.db.select().from(syncState).where(eq(syncState.key, PREFIX + key));
    return row?.value as unknown as StatusPageCall | undefined;
  }

  /** Every recorded call whose key starts with `start`, by the rest of its key (`maintenance:v1.3.0:` → `create`, `ended`…). */
  async under(start: string): Promise<Map<string, StatusPageCall>> {
    const rows = await this.db.select().from(syncState).where(like(syncState.key, `${PREFIX}${start.replace(/[\\%_]/g, '\\$&')}%`));
    return new Map(rows.map((r) => [r.key.slice(PREFIX.length + start.length), r.value as unknown as StatusPageCall]));
  }

  /** Claims the call: true for the one caller whose view of the previous claim (`earlier`) was current. */
  async claim(key: string, earlier: StatusPageCall | undefined, next: StatusPageCall): Promise<boolean> {
    if (!earlier) {
      const rows = await this.db.insert(syncState).values({ key: PREFIX + key, value: { ...next } }).onConflictDoNothing().returning({ key: syncState.key });
      return rows.length > 0;
    }
    const rows = await this.db
      .update(syncState)
      .set({ value: { ...next }, updatedAt: sql`now()` })
      .where(and(eq(syncState.key, PREFIX + key), sql`${syncState.value}->>'claimedAt' = ${earlier.claimedAt}`, sql`${syncState.value}->>'outcome' = ${earlier.outcome}`))
      .returning({ key: syncState.key });
    return rows.length > 0;
  }

  /**
   * Files every call whose key starts with `start` under `archive` + its key, in one statement: a cancelled
   * plan's maintenance is then no longer the version's, and a later plan or start of it opens a new one.
   */
  async retire(start: string, archive: string): Promise<void> {
    await this.db
      .update(syncState)
      .set({ key: sql`${PREFIX + archive} || substr(${syncState.key}, ${PREFIX.length + 1})`, updatedAt: sql`now()` })
      .where(like(syncState.key, `${PREFIX}${start.replace(/[\\%_]/g, '\\$&')}%`));
  }

  /** Records how the claimed call (`claimedAt`) ended; a later claim is left alone. */
  async settle(key: string, claimedAt: string, change: Partial<StatusPageCall>): Promise<void> {
    await this.db
      .update(syncState)
      .set({ value: sql`${syncState.value} || ${JSON.stringify(change)}::jsonb`, updatedAt: sql`now()` })
      .where(and(eq(syncState.key, PREFIX + key), sql`${syncState.value}->>'claimedAt' = ${claimedAt}`));
  }
}
