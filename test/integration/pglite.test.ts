import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { ReleaseStore, SYSTEM_ACTOR, type NewRelease } from '../../src/integrations/database/release-store.js';
import { releaseEvents } from '../../src/integrations/database/schema.js';
import { realClock } from '../support/harness.js';

/** Every migration in drizzle/, as its journal lists them. */
const MIGRATIONS = (JSON.parse(readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;

const STARTED_AT = new Date('2025-11-12T14:00:00.000Z');

function newRelease(overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    version: 'v1.3.0',
    type: 'minor',
    previousVersion: 'v1.2.0',
    requestedBy: 'U1',
    requestId: 'trig-1',
    channelId: 'C1',
    startedAt: STARTED_AT,
    ...overrides,
  };
}

/** The rows of a raw query, whatever driver answered it. */
async function rows<T>(handle: DatabaseHandle, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await handle.db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** The error a promise rejected with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the statement to be rejected');
}

/** The message of an error and of its causes: drizzle wraps the driver's error. */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) parts.push(String(e.message));
  return parts.join(' / ');
}

describe('embedded database (PGlite)', () => {
  let dataDir: string;
  let handle: DatabaseHandle;
  let store: ReleaseStore;
  let releaseId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tminus-pglite-'));
    handle = await openDatabase({ dataDir });
    store = new ReleaseStore(handle.db, realClock);
  });

  afterAll(async () => {
    await handle?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('opens an embedded database in dataDir with the migrations applied', async () => {
    expect(handle.kind).toBe('pglite');
    await expect(handle.ping()).resolves.toBeUndefined();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    const tables = await rows<{ table_name: string }>(
      handle,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['approval_gates', 'approvals', 'breaches', 'checklist_ticks', 'freezes', 'plan_events', 'pre_deployment_checks', 'release_changes', 'release_events', 'release_plans', 'released_versions', 'releases', 'scheduled_runs', 'slack_posts', 'sync_state']);
    const applied = await rows<{ count: number | string }>(handle, sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
    expect(Number(applied[0]?.count)).toBe(MIGRATIONS);
  });

  it('creates a release with its first audit event', async () => {
    const created = await store.create(newRelease());
    if (!created.ok) throw new Error(`create refused: ${created.conflict}`);
    releaseId = created.release.id;
    expect(created.release).toMatchObject({
      version: 'v1.3.0',
      type: 'minor',
      state: 'started',
      previousVersion: 'v1.2.0',
      requestedBy: 'U1',
      requestId: 'trig-1',
      channelId: 'C1',
      startedAt: STARTED_AT,
      taggedAt: null,
      finishedAt: null,
    });
    expect(releaseId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await store.findByVersion('v1.3.0'))?.id).toBe(releaseId);
    expect((await store.findByRequestId('trig-1'))?.id).toBe(releaseId);
    expect((await store.inFlight()).map((r) => r.version)).toEqual(['v1.3.0']);
  });

  it('refuses a second release while one is in flight', async () => {
    const second = await store.create(newRelease({ version: 'v1.4.0', requestId: 'trig-2' }));
    expect(second).toEqual({ ok: false, conflict: 'in-flight' });
    expect(await store.findByVersion('v1.4.0')).toBeUndefined();
  });

  it('refuses the same version again as one that exists', async () => {
    const again = await store.create(newRelease({ requestId: 'trig-3' }));
    expect(again).toEqual({ ok: false, conflict: 'exists' });
  });

  it('refuses a repeated Slack request as a duplicate', async () => {
    const repeated = await store.create(newRelease({ version: 'v1.3.1' }));
    expect(repeated).toEqual({ ok: false, conflict: 'duplicate-request' });
  });

  it('records nothing for a refused create', async () => {
    const all = await handle.db.select().from(releaseEvents);
    expect(all.map((e) => [e.releaseId, e.action])).toEqual([[releaseId, 'release.requested']]);
  });

  it('applies tag_created: the release is tagged and the change is audited', async () => {
    const taggedAt = new Date('2025-11-12T14:00:05.000Z');
    const result = await store.apply(releaseId, 'tag_created', {
      set: { taggedAt, targetBranch: 'main', targetSha: 'abc1234def' },
      details: { sha: 'abc1234def' },
    });
    if (!result.ok) throw new Error(`apply refused: ${result.reason}`);
    expect(result.release).toMatchObject({ id: releaseId, state: 'tagged', taggedAt, targetBranch: 'main', targetSha: 'abc1234def' });
    const stored = await store.findById(releaseId);
    expect(stored?.state).toBe('tagged');
    expect(stored?.taggedAt).toEqual(taggedAt);
    const events = await store.events(releaseId);
    expect(events.at(-1)).toMatchObject({
      releaseId,
      actor: SYSTEM_ACTOR,
      action: 'release.tag_created',
      details: { from: 'started', to: 'tagged', sha: 'abc1234def' },
    });
  });

  it('refuses a transition the state machine does not allow and changes nothing', async () => {
    const before = await store.findById(releaseId);
    const eventsBefore = await store.events(releaseId);
    const result = await store.apply(releaseId, 'deploy_succeeded', { set: { failureReason: 'should not be written', finishedAt: new Date() } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('a release that is tagged cannot take "deploy_succeeded"');
    expect(result.release?.state).toBe('tagged');
    expect(await store.findById(releaseId)).toEqual(before);
    expect(await store.events(releaseId)).toEqual(eventsBefore);
  });

  it('lists the audit events in order, with who did each', async () => {
    const events = await store.events(releaseId);
    expect(events.map((e) => ({ action: e.action, actor: e.actor }))).toEqual([
      { action: 'release.requested', actor: 'U1' },
      { action: 'release.tag_created', actor: 'tminus' },
    ]);
    expect(events[0]?.details).toEqual({ version: 'v1.3.0', type: 'minor', previousVersion: 'v1.2.0' });
    expect(events[0]!.id).toBeLessThan(events[1]!.id);
    expect(events.every((e) => e.at instanceof Date)).toBe(true);
  });

  it('keeps the audit log append-only: Postgres rejects updates and deletes', async () => {
    const update = await rejection(handle.db.execute(sql`update release_events set action = 'x'`));
    expect(messages(update)).toContain('release_events is append-only');
    const remove = await rejection(handle.db.execute(sql`delete from release_events where release_id = ${releaseId}`));
    expect(messages(remove)).toContain('release_events is append-only');
    const actions = await handle.db.select({ action: releaseEvents.action }).from(releaseEvents).where(eq(releaseEvents.releaseId, releaseId));
    expect(actions.map((a) => a.action)).toEqual(['release.requested', 'release.tag_created']);
  });

  it('allows a new release once the previous one has finished, and still refuses its version', async () => {
    expect((await store.apply(releaseId, 'deploy_run_found', { set: { deployRunId: 42 } })).ok).toBe(true);
    const deployed = await store.apply(releaseId, 'deploy_succeeded', { actor: 'U1', set: { finishedAt: new Date('2025-11-12T15:28:00.000Z') } });
    // Production runs it; the post-deploy checks are still in flight: no other release may start yet.
    expect(deployed.ok && deployed.release.state).toBe('verifying');
    expect((await store.inFlight()).map((r) => r.version)).toEqual(['v1.3.0']);
    const done = await store.apply(releaseId, 'post_deploy_checks_passed', { set: { completedAt: new Date('2025-11-12T15:31:00.000Z') } });
    expect(done.ok && done.release.state).toBe('completed');
    expect(await store.inFlight()).toEqual([]);

    expect(await store.create(newRelease({ requestId: 'trig-4' }))).toEqual({ ok: false, conflict: 'exists' });
    const next = await store.create(newRelease({ version: 'v1.4.0', previousVersion: 'v1.3.0', requestId: 'trig-5', startedAt: new Date('2025-11-13T14:00:00.000Z') }));
    expect(next.ok && next.release.state).toBe('started');
    expect((await store.latest())?.version).toBe('v1.4.0');
  });

  it('keeps the data when the same dataDir is opened again, and migrating again is harmless', async () => {
    await handle.close();
    handle = await openDatabase({ dataDir });
    store = new ReleaseStore(handle.db, realClock);
    expect(handle.kind).toBe('pglite');

    const release = await store.findById(releaseId);
    expect(release).toMatchObject({ version: 'v1.3.0', state: 'completed', deployRunId: 42, startedAt: STARTED_AT });
    expect((await store.events(releaseId)).map((e) => e.action)).toEqual([
      'release.requested',
      'release.tag_created',
      'release.deploy_run_found',
      'release.deploy_succeeded',
      'release.post_deploy_checks_passed',
    ]);
    expect((await store.inFlight()).map((r) => r.version)).toEqual(['v1.4.0']);
    const applied = await rows<{ count: number | string }>(handle, sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
    expect(Number(applied[0]?.count)).toBe(MIGRATIONS);

    // The constraints survived the reopen, the append-only trigger included.
    expect(await store.create(newRelease({ version: 'v1.5.0', requestId: 'trig-6' }))).toEqual({ ok: false, conflict: 'in-flight' });
    const update = await rejection(handle.db.execute(sql`update release_events set actor = 'someone-else'`));
    expect(messages(update)).toContain('release_events is append-only');
  });
});
