/**
 * A local Datadog API stand-in: a real HTTP server on 127.0.0.1 for the real
 * `@datadog/datadog-api-client` to talk to, pointed at it with
 * `client.createConfiguration({ authMethods: { apiKeyAuth, appKeyAuth }, baseServer: new client.BaseServerConfiguration(standIn.url, {}) })`.
 *
 * It serves what tminus uses, in Datadog's wire shapes (checked against the client's models, so every
 * answer deserializes cleanly): metric queries (series scripted per query), graph snapshots (a real
 * PNG served by the stand-in itself), log counts (the Logs aggregate API over log lines pushed with
 * `pushLogs`), events, DORA deployments and failures, monitors, key validation.
 * Keys are checked as Datadog checks them: `DD-API-KEY` everywhere, `DD-APPLICATION-KEY` too except on
 * the intake endpoints the client calls with the API key alone (events, DORA, validate); a missing or
 * wrong key answers 403 `{"errors":["Forbidden"]}`. Emits 'change' after every recorded write and
 * every scripting call.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { listenLocally } from '../listen.js';
import { BadRequest, decode, errors, header, readBody, safeDecode, send, type Answer, type Request, type Route } from './http.js';
import { Intake } from './intake.js';
import { Logs } from './logs.js';
import { MetricSeries } from './metrics.js';
import { Monitors } from './monitors.js';
import type { Org } from './org.js';
import { Snapshots, type KeptSnapshot } from './snapshots.js';
import type {
  DatadogStandInOptions,
  DoraDeploymentRecord,
  DoraFailureRecord,
  LogRecord,
  MonitorSpec,
  RecordedEvent,
  RecordedRequest,
  SeriesSource,
  SnapshotRecord,
} from './types.js';

/** What world-store.ts keeps of the stand-in (plain data). */
export interface DatadogSnapshot {
  events: RecordedEvent[];
  deployments: DoraDeploymentRecord[];
  failures: DoraFailureRecord[];
  snapshots: KeptSnapshot[];
  logs: LogRecord[];
  monitors: MonitorSpec[];
  seq: number;
}

interface Fault {
  path: RegExp;
  status: number;
  remaining: number;
}

interface Slow {
  path: RegExp;
  ms: number;
  remaining: number;
}

/**
 * A local Datadog API for one organization. Deterministic: ids depend only on what was done, dates
 * on the clock.
 */
export class DatadogStandIn extends EventEmitter {
  readonly url: string;
  readonly apiKey: string;
  readonly appKey: string;
  readonly requests: RecordedRequest[] = [];

  private readonly clock: () => number;
  private readonly metrics = new MetricSeries();
  private readonly snapshotStore: Snapshots;
  private readonly intake: Intake;
  private readonly monitorStore: Monitors;
  private readonly logStore: Logs;
  private readonly faults: Fault[] = [];
  private readonly slows: Slow[] = [];
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly routes: Route[];
  private outageOn = false;
  private seq = 0;

  static async start(options: DatadogStandInOptions): Promise<DatadogStandIn> {
    const { server, url } = await listenLocally(options.port);
    return new DatadogStandIn(server, url, options);
  }

  private constructor(
    private readonly server: Server,
    url: string,
    options: DatadogStandInOptions,
  ) {
    super();
    this.url = url;
    this.apiKey = options.apiKey;
    this.appKey = options.appKey;
    this.clock = options.clock ?? Date.now;
    const org: Org = { url, clock: () => this.clock(), nextSeq: () => ++this.seq, changed: () => this.emit('change') };
    this.snapshotStore = new Snapshots(org, this.metrics);
    this.intake = new Intake(org);
    this.monitorStore = new Monitors(org);
    this.logStore = new Logs(org);
    this.routes = [
      { method: 'GET', path: /^\/api\/v1\/validate$/, auth: 'api', handle: () => ({ status: 200, body: { valid: true } }) },
      { method: 'GET', path: /^\/api\/v1\/query$/, auth: 'api+app', handle: (r) => this.metrics.query(r) },
      { method: 'GET', path: /^\/api\/v1\/graph\/snapshot$/, auth: 'api+app', handle: (r) => this.snapshotStore.take(r) },
      { method: 'POST', path: /^\/api\/v2\/logs\/analytics\/aggregate$/, auth: 'api+app', handle: (r) => this.logStore.aggregate(r) },
      { method: 'POST', path: /^\/api\/v1\/events$/, auth: 'api', handle: (r) => this.intake.createEvent(r) },
      { method: 'POST', path: /^\/api\/v2\/dora\/deployment$/, auth: 'api', handle: (r) => this.intake.createDeployment(r) },
      { method: 'POST', path: /^\/api\/v2\/dora\/failure$/, auth: 'api', handle: (r) => this.intake.createFailure(r) },
      { method: 'GET', path: /^\/api\/v2\/dora\/deployments\/([^/]+)$/, auth: 'api+app', handle: (_r, m) => this.intake.getDeployment(m[1] as string) },
      { method: 'GET', path: /^\/api\/v1\/monitor$/, auth: 'api+app', handle: (r) => this.monitorStore.query(r) },
      {
        method: 'GET',
        path: /^\/snapshot\/view\/dd-snapshots-sandbox\/org_1\/\d{4}-\d{2}-\d{2}\/([0-9a-f]{40})\.png$/,
        auth: 'none',
        handle: (_r, m) => this.snapshotStore.image(m[1] as string),
      },
    ];
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, { status: 500, body: { errors: [String(error)] } });
        else res.destroy();
      });
    });
  }

  async close(): Promise<void> {
    for (const pending of this.pendingDelays) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.pendingDelays.clear();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.server.closeAllConnections();
    });
  }

  // --- scripting ---

  /**
   * What `GET /api/v1/query` answers for `query`: a string matches the query exactly (whitespace
   * ignored), a RegExp any query it matches; exact keys win, then the newest pattern. Points outside
   * the requested window are left out, and series with no point in it are omitted, as Datadog does.
   */
  setSeries(query: string | RegExp, series: SeriesSource): void {
    this.metrics.set(query, series);
    this.emit('change');
  }

  /** Forgets the series of one query key, or of every query. */
  clearSeries(query?: string | RegExp): void {
    this.metrics.clear(query);
    this.emit('change');
  }

  /** Replaces the organization's monitors. */
  setMonitors(monitors: MonitorSpec[]): void {
    this.monitorStore.set(monitors);
    this.emit('change');
  }

  /** Adds log lines to the index the Logs aggregate API counts (each with its own time). */
  pushLogs(records: LogRecord[]): void {
    this.logStore.push(records);
    this.emit('change');
  }

  /** Forgets every log line. */
  clearLogs(): void {
    this.logStore.clear();
    this.emit('change');
  }

  /** Events, DORA records, snapshots, logs and monitors, for world-store.ts (scripted series are not kept: their owner sets them again). */
  snapshot(): DatadogSnapshot {
    const { events, deployments, failures } = this.intake;
    return structuredClone({ events, deployments, failures, snapshots: this.snapshotStore.kept(), logs: this.logStore.all(), monitors: this.monitorStore.all(), seq: this.seq });
  }

  restore(snapshot: DatadogSnapshot): void {
    const copy = structuredClone(snapshot);
    this.intake.events.splice(0, this.intake.events.length, ...copy.events);
    this.intake.deployments.splice(0, this.intake.deployments.length, ...copy.deployments);
    this.intake.failures.splice(0, this.intake.failures.length, ...copy.failures);
    this.snapshotStore.restore(copy.snapshots);
    this.logStore.clear();
    this.logStore.push(copy.logs);
    this.monitorStore.set(copy.monitors);
    this.seq = Math.max(this.seq, copy.seq);
    this.emit('change');
  }

  // --- inspection ---

  events(): RecordedEvent[] {
    return this.intake.events.map((e) => ({ ...e, tags: [...e.tags] }));
  }

  doraDeployments(): DoraDeploymentRecord[] {
    return this.intake.deployments.map((d) => ({ ...d }));
  }

  doraFailures(): DoraFailureRecord[] {
    return this.intake.failures.map((f) => ({ ...f }));
  }

  snapshots(): SnapshotRecord[] {
    return this.snapshotStore.records();
  }

  logs(): LogRecord[] {
    return this.logStore.all();
  }

  // --- fault injection ---

  /** The next `times` requests whose decoded path matches answer `status` with `{errors: [reason]}`. */
  failNext(path: RegExp, status: number, times = 1): void {
    this.faults.push({ path, status, remaining: times });
  }

  /** While on, every request answers 503. */
  outage(on: boolean): void {
    this.outageOn = on;
  }

  /** The next `times` requests whose decoded path matches are answered `ms` milliseconds late. */
  slowNext(path: RegExp, ms: number, times = 1): void {
    this.slows.push({ path, ms, remaining: times });
  }

  // --- HTTP ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = decode(await readBody(req), req.headers['content-encoding']);
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = safeDecode(url.pathname);
    let body: unknown;
    let parseError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
        parseError = true;
      }
    }
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body });

    const slow = this.slows.find((s) => s.remaining > 0 && s.path.test(path));
    if (slow !== undefined) {
      slow.remaining -= 1;
      await this.delay(slow.ms);
    }
    const answer = this.answer({ method, path, query: url.searchParams, body }, req, parseError);
    if (method === 'POST' && answer.status < 300) this.emit('change');
    send(res, answer);
  }

  private answer(request: Request, req: IncomingMessage, parseError: boolean): Answer {
    if (this.outageOn) return errors(503, 'Service Unavailable');
    const fault = this.faults.find((f) => f.remaining > 0 && f.path.test(request.path));
    if (fault !== undefined) {
      fault.remaining -= 1;
      const answer = errors(fault.status, STATUS_CODES[fault.status] ?? 'Error');
      if (fault.status === 429) {
        answer.headers = {
          'x-ratelimit-limit': '100',
          'x-ratelimit-period': '10',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '1',
          'x-ratelimit-name': 'sandbox',
        };
      }
      return answer;
    }
    let found: { route: Route; match: RegExpExecArray } | undefined;
    for (const route of this.routes) {
      const match = route.method === request.method ? route.path.exec(request.path) : null;
      if (match !== null) {
        found = { route, match };
        break;
      }
    }
    if (found === undefined) return errors(404, 'Not found');
    const { route, match } = found;
    if (route.auth !== 'none') {
      if (header(req, 'dd-api-key') !== this.apiKey) return errors(403, 'Forbidden');
      if (route.auth === 'api+app' && header(req, 'dd-application-key') !== this.appKey) return errors(403, 'Forbidden');
    }
    if (parseError) return errors(400, 'Invalid JSON');
    try {
      return route.handle(request, match);
    } catch (error) {
      if (error instanceof BadRequest) {
        if (request.path.startsWith('/api/v2/')) {
          return {
            status: 400,
            body: { errors: [{ status: '400', title: 'Bad Request', detail: error.message }] },
            contentType: 'application/vnd.api+json',
          };
        }
        return errors(400, error.message);
      }
      return errors(500, error instanceof Error ? error.message : String(error));
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.pendingDelays.add(pending);
    });
  }
}
