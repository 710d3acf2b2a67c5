import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';

/**
 * What tminus accepts before it knows who is talking (README, Security model). A signature can only be checked
 * once the whole body is in memory, so the body is bounded first: by size, and by how many unsigned bodies a
 * route holds at once; slow senders are cut off by the server's timeouts.
 */

/**
 * Slack's bodies: a slash command is a few hundred bytes; the largest are interactivity payloads, which carry the
 * message or modal they came from (50 blocks × 3,000 characters, 100 for a modal, URL-encoded): well under 1 MiB.
 * Bolt's default is 4 MiB.
 */
export const SLACK_BODY_LIMIT = 1024 * 1024;
/**
 * GitHub's deliveries of the events tminus takes (workflow_run, workflow_job, deployment_*, check_*, push of a
 * tag, pull_request closed) are 5 to 60 kB, a pull request with a 65,536-character body about 200 kB. GitHub's
 * documented cap (25 MB) is for pushes of many commits, which tminus does not follow; a delivery refused here
 * only says "look now" too late: tminus reads GitHub on its own pace anyway.
 */
export const GITHUB_BODY_LIMIT = 1024 * 1024;
/**
 * Unsigned bodies a route reads at once. Slack and GitHub send a handful at a time, each read in milliseconds;
 * at this cap a route holds at most 16 × its limit (16 MiB) before any signature is checked. Past it: 503.
 */
export const UNSIGNED_IN_FLIGHT = 16;
/** Seconds a refused sender is asked to wait (Slack retries on its own; GitHub's delivery is read by polling anyway). */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The HTTP server's limits. Node's defaults hold a slow request for 5 minutes (`requestTimeout`) and its
 * headers for a minute; Slack and GitHub send a whole request in well under a second.
 */
export const SERVER_OPTIONS: ServerOptions = {
  /** The whole request, headers and body: 1 MiB at a slow 100 kB/s is 10 s. */
  requestTimeout: 15_000,
  headersTimeout: 10_000,
  keepAliveTimeout: 5_000,
  /** How often the timeouts above are checked (Node's default is every 30 s, which would let them run to 45 s). */
  connectionsCheckingInterval: 1_000,
  maxHeaderSize: 16 * 1024,
};
/** Open connections the server keeps; one more is closed at once. Bounds sockets, parsers and buffers together. */
export const MAX_CONNECTIONS = 256;

/** One route's unsigned bodies: how large each may be, how many at once. */
export class UnsignedBodies {
  private inFlight = 0;
  constructor(
    readonly limitBytes: number,
    readonly maxInFlight: number = UNSIGNED_IN_FLIGHT,
  ) {}

  get reading(): number {
    return this.inFlight;
  }

  /**
   * Takes the request or answers it: 413 when its declared length is over the limit (nothing read), 503 with
   * Retry-After when the route already reads its share. Taken, it counts until its body is read (then its
   * signature is checked at once) or the exchange ends: a command waiting for its ack no longer counts.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limitBytes) return refuse(res, 413, {}, `payload too large: at most ${this.limitBytes} bytes`);
    if (this.inFlight >= this.maxInFlight) return refuse(res, 503, { 'retry-after': String(RETRY_AFTER_SECONDS) }, 'busy: try again shortly');
    this.inFlight += 1;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.inFlight -= 1;
    };
    req.once('end', release);
    res.once('close', release);
    res.once('finish', release);
    return true;
  }

  /** `listener` behind this gate. */
  guard(listener: RequestListener): RequestListener {
    return (req, res) => {
      if (this.admit(req, res)) listener(req, res);
    };
  }
}

/** A custom route (the GitHub webhook) behind `bodies`, in either receiver (HTTP or Socket Mode). */
export function boundedRoute(route: CustomRoute, bodies: UnsignedBodies): CustomRoute {
  const handler = route.handler;
  return { ...route, handler: (req, res) => (bodies.admit(req, res) ? handler(req, res) : undefined) };
}

/** The request listener with `/slack/events` (Bolt's endpoint) behind `bodies`; every other path as it was. */
export function boundedSlackEvents(listener: RequestListener, bodies: UnsignedBodies, path = '/slack/events'): RequestListener {
  const guarded = bodies.guard(listener);
  return (req, res) => {
    const pathname = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && pathname === path) guarded(req, res);
    else listener(req, res);
  };
}

/** Answers and closes the connection: what the sender still sends is not read into memory. */
function refuse(res: ServerResponse, status: number, headers: Record<string, string>, message: string): false {
  if (!res.headersSent) {
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
    res.end(JSON.stringify({ status, message }));
  }
  return false;
}

/**
 * The HTTP server tminus listens on (HTTP mode): Node's server with the limits above, serving Bolt's receiver
 * through its public `requestListener`, so that `/slack/events` is bounded before Bolt buffers the body.
 */
export async function startHttpServer(listener: RequestListener, listen: { port: number; host?: string }): Promise<Server> {
  const server = createServer(SERVER_OPTIONS, (req, res) => {
    try {
      listener(req, res);
    } catch {
      // Bolt throws for a path it does not serve (HTTPReceiverDeferredRequestError): its own server answers 404.
      if (!res.headersSent) res.writeHead(404).end();
    }
  });
  applyLimits(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The limits on a server someone else created (Bolt's, for the custom routes in Socket Mode). */
export function applyLimits(server: Server): void {
  server.requestTimeout = SERVER_OPTIONS.requestTimeout!;
  server.headersTimeout = SERVER_OPTIONS.headersTimeout!;
  server.keepAliveTimeout = SERVER_OPTIONS.keepAliveTimeout!;
  server.maxConnections = MAX_CONNECTIONS;
}

/** Stops taking connections and closes the idle ones; resolves once the active ones are done. */
export function stopHttpServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
