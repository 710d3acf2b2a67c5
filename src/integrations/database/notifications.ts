import type { PGlite } from '@electric-sql/pglite';
import type postgres from 'postgres';

/** What a LISTEN subscriber hears: each notification, and whether notifications can be heard at all. */
export interface NotificationHandlers {
  notified(): void;
  /** The LISTEN connection is gone: notifications may be lost until `up` is called again. */
  down(): void;
  /** LISTEN is in place (first time, or again after `down`). */
  up(): void;
}

export interface Listening {
  close(): Promise<void>;
}

const RETRY_MS = { first: 250, max: 5_000 };

/**
 * LISTEN on Postgres on a connection of its own (postgres.js's `sql.listen` re-listens by itself but never
 * says that its connection dropped, and notifications sent meanwhile are lost). When the connection closes,
 * `down` is called at once and LISTEN is retried until it holds again, then `up`.
 */
export async function listenPostgres(url: string, channel: string, handlers: NotificationHandlers): Promise<Listening> {
  const { default: connect } = await import('postgres');
  let closed = false;
  let listening = false;
  let retrying: Promise<void> | undefined;
  // `onnotify` is postgres.js's own option (what its `sql.listen` uses), missing from its type declarations.
  const options: postgres.Options<Record<string, never>> & { onnotify(channel: string, payload: string): void } = {
    max: 1,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    onnotify: (name) => {
      if (name === channel) handlers.notified();
    },
    onclose: () => {
      if (closed || !listening) return;
      listening = false;
      handlers.down();
      retrying ??= keepTrying().finally(() => (retrying = undefined));
    },
  };
  const sql = connect(url, options);
  const listenOnce = async () => {
    await sql`listen ${sql(channel)}`;
    listening = true;
    handlers.up();
  };
  const keepTrying = async () => {
    for (let wait = RETRY_MS.first; !closed; wait = Math.min(wait * 2, RETRY_MS.max)) {
      try {
        await listenOnce();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
      }
    }
  };
  try {
    await listenOnce();
  } catch {
    // The database may be starting: callers read through meanwhile.
    retrying = keepTrying().finally(() => (retrying = undefined));
  }
  return {
    close: async () => {
      closed = true;
      listening = false;
      handlers.down();
      await sql.end({ timeout: 5 });
      await retrying;
    },
  };
}

/** LISTEN on embedded PGlite: one connection inside this process, so it never drops while open. */
export async function listenPglite(pglite: PGlite, channel: string, handlers: NotificationHandlers): Promise<Listening> {
  const unlisten = await pglite.listen(channel, () => handlers.notified());
  handlers.up();
  return {
    close: async () => {
      handlers.down();
      if (!pglite.closed) await unlisten();
    },
  };
}
