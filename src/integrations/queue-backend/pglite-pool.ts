import { EventEmitter } from 'node:events';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { PgNotification, PgPool, PgPoolClient, PgQueryResult } from 'bullmq';

/** node-postgres hands int8 and numeric over as strings (PGlite as numbers): BullMQ reads them as pg gives them. */
const PG_PARSERS = { 20: (value: string) => value, 1700: (value: string) => value };

type Executor = Pick<Transaction, 'query' | 'exec'>;

/** One statement with parameters (extended protocol, as pg); without, possibly several (simple protocol, as pg). */
async function run(executor: Executor, text: string, params?: readonly unknown[]): Promise<PgQueryResult> {
  if (params && params.length > 0) {
    const result = await executor.query<Record<string, unknown>>(text, [...params], { parsers: PG_PARSERS });
    return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
  }
  const results = await executor.exec(text, { parsers: PG_PARSERS });
  const last = results.at(-1);
  return { rows: last?.rows ?? [], rowCount: last ? (last.rowCount ?? last.affectedRows ?? last.rows.length) : 0 };
}

/** The statement without its comments, upper-cased: what a checkout must recognise (BEGIN, LISTEN …). */
function command(text: string): string {
  return text
    .replace(/--[^\n]*/g, '')
    .trim()
    .replace(/;$/, '')
    .trim()
    .toUpperCase();
}

/**
 * A `pg.Pool` for BullMQ's PostgreSQL backend on the embedded PGlite, which is one connection shared with
 * tminus's own queries. Each pool query runs in a transaction of its own with `search_path` set to the
 * queue's schema (PGlite's lock keeps everything else out meanwhile, and tminus's unqualified table names
 * stay on `public`). A checked-out client's BEGIN … COMMIT holds PGlite's single connection until it ends,
 * so checkouts that run transactions are serialised; LISTEN / UNLISTEN map to PGlite's `listen`.
 */
export class PglitePool extends EventEmitter implements PgPool {
  /** Read by BullMQ to decide how long a worker may block: an in-process connection never drops unnoticed. */
  readonly options = { keepAlive: true };
  private ended = false;

  constructor(
    readonly pglite: PGlite,
    readonly schema: string,
  ) {
    super();
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`queue schema must be a plain identifier: ${schema}`);
  }

  async query<R = unknown>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> {
    if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
    return (await this.pglite.transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO ${this.schema}`);
      return run(tx, text, params);
    })) as PgQueryResult<R>;
  }

  async connect(): Promise<PgPoolClient> {
    if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
    return new PgliteClient(this);
  }

  async end(): Promise<void> {
    // The PGlite database is tminus's, closed with it.
    this.ended = true;
  }
}

/** A checked-out "connection": statements run on the pool until BEGIN, then inside a PGlite transaction until COMMIT or ROLLBACK. */
class PgliteClient extends EventEmitter implements PgPoolClient {
  private open?: { tx: Transaction; end: (rollback: boolean) => void; finished: Promise<void> };
  private readonly listening = new Map<string, () => Promise<void>>();

  constructor(private readonly pool: PglitePool) {
    super();
  }

  async query<R = unknown>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> {
    const statement = command(text);
    if (statement === 'BEGIN') return (await this.begin()) as PgQueryResult<R>;
    if (statement === 'COMMIT' || statement === 'ROLLBACK') return (await this.finish(statement === 'ROLLBACK')) as PgQueryResult<R>;
    const listen = /^(UN)?LISTEN\s+"?([a-z_][a-z0-9_]*)"?$/i.exec(statement);
    if (listen) return (await (listen[1] ? this.unlisten(listen[2]!.toLowerCase()) : this.listen(listen[2]!.toLowerCase()))) as PgQueryResult<R>;
    return (this.open ? await run(this.open.tx, text, params) : await this.pool.query(text, params)) as PgQueryResult<R>;
  }

  release(): void {
    void this.finish(true).catch(() => undefined);
    for (const channel of [...this.listening.keys()]) void this.unlisten(channel).catch(() => undefined);
  }

  private async begin(): Promise<PgQueryResult> {
    if (this.open) return { rows: [], rowCount: 0 };
    let end!: (rollback: boolean) => void;
    const ended = new Promise<boolean>((resolve) => (end = resolve));
    const started = new Promise<Transaction>((resolve, reject) => {
      const finished = this.pool.pglite.transaction(async (tx) => {
        resolve(tx);
        if (await ended) await tx.rollback();
      });
      finished.catch(reject);
      this.open = { tx: undefined as unknown as Transaction, end, finished };
    });
    const tx = await started;
    this.open!.tx = tx;
    await tx.exec(`SET LOCAL search_path TO ${this.pool.schema}`);
    return { rows: [], rowCount: 0 };
  }

  private async finish(rollback: boolean): Promise<PgQueryResult> {
    const open = this.open;
    if (!open) return { rows: [], rowCount: 0 };
    this.open = undefined;
    open.end(rollback);
    await open.finished;
    return { rows: [], rowCount: 0 };
  }

  private async listen(channel: string): Promise<PgQueryResult> {
    if (!this.listening.has(channel)) {
      const unsubscribe = await this.pool.pglite.listen(channel, (payload) => this.emit('notification', { channel, payload } satisfies PgNotification));
      this.listening.set(channel, unsubscribe);
    }
    return { rows: [], rowCount: 0 };
  }

  private async unlisten(channel: string): Promise<PgQueryResult> {
    const unsubscribe = this.listening.get(channel);
    this.listening.delete(channel);
    if (unsubscribe && !this.pool.pglite.closed) await unsubscribe();
    return { rows: [], rowCount: 0 };
  }
}
