/**
 * A local Datadog API stand-in: a real HTTP server on 127.0.0.1 for the real
 * `@datadog/datadog-api-client` to talk to, pointed at it with
 * `client.createConfiguration({ authMethods: { apiKeyAuth, appKeyAuth }, baseServer: new client.BaseServerConfiguration(standIn.url, {}) })`.
 *
 * It serves what tminus uses, in Datadog's wire shapes (checked against the client's models, so every
 * answer deserializes cleanly): metric queries (series scripted per query), graph snapshots (a real
 * PNG served by the stand-in itself), events, DORA deployments and failures, monitors, key validation.
 * Keys are checked as Datadog checks them: `DD-API-KEY` everywhere, `DD-APPLICATION-KEY` too except on
 * the intake endpoints the client calls with the API key alone (events, DORA, validate); a missing or
 * wrong key answers 403 `{"errors":["Forbidden"]}`. Emits 'change' after every recorded write and
 * every scripting call.
 */
import { createHash } from 'node:crypto';
import { listenLocally } from './listen.js';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { deflateSync, gunzipSync, inflateSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** `[milliseconds since the epoch, value]`; a null value is a gap, as Datadog answers one. */
export type MetricPoint = [number, number | null];

export interface SeriesSpec {
  /** Comma-separated tags of this series, e.g. 'host:a' or 'env:prod,service:shop'; '*' for none. */
  scope: string;
  points: MetricPoint[];
  /** A unit name (second, millisecond, nanosecond, percent, byte, request, hit, error); no unit when omitted. */
  unit?: string;
  /** Overrides the metric name derived from the query. */
  metric?: string;
}

/** Fixed series, or a function of the requested window (milliseconds) that returns them. */
export type SeriesSource = SeriesSpec[] | ((fromMs: number, toMs: number, query: string) => SeriesSpec[]);

export type MonitorOverallState = 'OK' | 'Alert' | 'Warn' | 'No Data' | 'Ignored' | 'Skipped' | 'Unknown';

export type MonitorType =
  | 'metric alert'
  | 'query alert'
  | 'service check'
  | 'composite'
  | 'log alert'
  | 'trace-analytics alert'
  | 'slo alert'
  | 'event-v2 alert'
  | 'rum alert'
  | 'synthetics alert'
  | 'error-tracking alert';

export interface MonitorSpec {
  id: number;
  name: string;
  overallState: MonitorOverallState;
  /** The monitor's own tags (what `monitor_tags` filters on), e.g. ['service:shop', 'team:payments']. */
  tags?: string[];
  /**
   * The monitor query; its `{…}` scope is what `tags` filters on. Default: a metric alert scoped by
   * the monitor's `key:value` tags, `avg(last_5m):avg:trace.web.request.errors{<tags>} > 1`.
   */
  query?: string;
  /** Default 'query alert'. */
  type?: MonitorType;
  message?: string;
  /** Multi-alert groups, shown under `state.groups` when `group_states` asks for them. */
  groups?: { name: string; status: MonitorOverallState }[];
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, e.g. /api/v1/query */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface RecordedEvent {
  id: number;
  title: string;
  text: string;
  tags: string[];
  /** Seconds since the epoch, as Datadog keeps it. */
  dateHappened: number;
  alertType: string;
  priority: string;
  host?: string;
  aggregationKey?: string;
  sourceTypeName?: string;
  relatedEventId?: number;
  url: string;
}

export interface DoraGit {
  commitSha: string;
  repositoryUrl: string;
}

export interface DoraDeploymentRecord {
  id: string;
  service: string;
  env?: string;
  version?: string;
  team?: string;
  /** Milliseconds (the API takes seconds, milliseconds or nanoseconds). */
  startedAt: number;
  finishedAt: number;
  git?: DoraGit;
  customTags: string[];
  /** The attributes exactly as sent. */
  attributes: Record<string, unknown>;
}

export interface DoraFailureRecord {
  id: string;
  name?: string;
  services: string[];
  env?: string;
  severity?: string;
  version?: string;
  team?: string;
  /** Milliseconds. */
  startedAt: number;
  finishedAt?: number;
  git?: DoraGit;
  customTags: string[];
  attributes: Record<string, unknown>;
}

export interface SnapshotRecord {
  id: string;
  metricQuery: string;
  graphDef: string;
  title?: string;
  /** Seconds, as requested. */
  start: number;
  end: number;
  width: number;
  height: number;
  /** Served by the stand-in without keys, as Datadog's snapshot URLs are public. */
  url: string;
}

export interface DatadogStandInOptions {
  apiKey: string;
  appKey: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Milliseconds since the epoch; dates events, monitors and snapshots. Default Date.now. */
  clock?: () => number;
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body?: unknown;
  /** Raw bytes instead of JSON (the snapshot PNG). */
  raw?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Auth = 'api' | 'api+app' | 'none';

interface Route {
  method: string;
  path: RegExp;
  auth: Auth;
  handle: (request: Request, match: RegExpExecArray) => Answer;
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

interface StoredSnapshot extends SnapshotRecord {
  series: { scope: string; points: MetricPoint[] }[];
  png?: Buffer;
}

class BadRequest extends Error {}

const EVENT_ALERT_TYPES = ['error', 'warning', 'info', 'success', 'user_update', 'recommendation', 'snapshot'];
const EVENT_PRIORITIES = ['normal', 'low'];
const FIRST_EVENT_ID = 8_100_000_000_000_001;

const UNITS: Record<string, { family: string; name: string; plural: string; short_name: string | null; scale_factor: number }> = {
  nanosecond: { family: 'time', name: 'nanosecond', plural: 'nanoseconds', short_name: 'ns', scale_factor: 1e-9 },
  millisecond: { family: 'time', name: 'millisecond', plural: 'milliseconds', short_name: 'ms', scale_factor: 0.001 },
  second: { family: 'time', name: 'second', plural: 'seconds', short_name: 's', scale_factor: 1 },
  percent: { family: 'percentage', name: 'percent', plural: 'percent', short_name: '%', scale_factor: 1 },
  byte: { family: 'bytes', name: 'byte', plural: 'bytes', short_name: 'B', scale_factor: 1 },
  request: { family: 'network', name: 'request', plural: 'requests', short_name: 'req', scale_factor: 1 },
  hit: { family: 'cache', name: 'hit', plural: 'hits', short_name: null, scale_factor: 1 },
  error: { family: 'general', name: 'error', plural: 'errors', short_name: null, scale_factor: 1 },
};

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
  private readonly exactSeries = new Map<string, SeriesSource>();
  private readonly patternSeries: { pattern: RegExp; source: SeriesSource }[] = [];
  private monitorList: MonitorSpec[] = [];
  private readonly eventList: RecordedEvent[] = [];
  private readonly deploymentList: DoraDeploymentRecord[] = [];
  private readonly failureList: DoraFailureRecord[] = [];
  private readonly snapshotList: StoredSnapshot[] = [];
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
    this.routes = [
      { method: 'GET', path: /^\/api\/v1\/validate$/, auth: 'api', handle: () => ({ status: 200, body: { valid: true } }) },
      { method: 'GET', path: /^\/api\/v1\/query$/, auth: 'api+app', handle: (r) => this.queryMetrics(r) },
      { method: 'GET', path: /^\/api\/v1\/graph\/snapshot$/, auth: 'api+app', handle: (r) => this.takeSnapshot(r) },
      { method: 'POST', path: /^\/api\/v1\/events$/, auth: 'api', handle: (r) => this.createEvent(r) },
      { method: 'POST', path: /^\/api\/v2\/dora\/deployment$/, auth: 'api', handle: (r) => this.createDeployment(r) },
      { method: 'POST', path: /^\/api\/v2\/dora\/failure$/, auth: 'api', handle: (r) => this.createFailure(r) },
      { method: 'GET', path: /^\/api\/v1\/monitor$/, auth: 'api+app', handle: (r) => this.listMonitors(r) },
      {
        method: 'GET',
        path: /^\/snapshot\/view\/dd-snapshots-sandbox\/org_1\/\d{4}-\d{2}-\d{2}\/([0-9a-f]{40})\.png$/,
        auth: 'none',
        handle: (_r, m) => this.snapshotImage(m[1] as string),
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
    if (typeof query === 'string') this.exactSeries.set(normalizeQuery(query), series);
    else {
      const at = this.patternSeries.findIndex((p) => p.pattern.source === query.source && p.pattern.flags === query.flags);
      if (at >= 0) this.patternSeries.splice(at, 1);
      this.patternSeries.push({ pattern: query, source: series });
    }
    this.emit('change');
  }

  /** Forgets the series of one query key, or of every query. */
  clearSeries(query?: string | RegExp): void {
    if (query === undefined) {
      this.exactSeries.clear();
      this.patternSeries.length = 0;
    } else if (typeof query === 'string') {
      this.exactSeries.delete(normalizeQuery(query));
    } else {
      const at = this.patternSeries.findIndex((p) => p.pattern.source === query.source && p.pattern.flags === query.flags);
      if (at >= 0) this.patternSeries.splice(at, 1);
    }
    this.emit('change');
  }

  /** Replaces the organization's monitors. */
  setMonitors(monitors: MonitorSpec[]): void {
    this.monitorList = monitors.map((m) => ({ ...m, tags: [...(m.tags ?? [])], groups: m.groups?.map((g) => ({ ...g })) }));
    this.emit('change');
  }

  // --- inspection ---

  events(): RecordedEvent[] {
    return this.eventList.map((e) => ({ ...e, tags: [...e.tags] }));
  }

  doraDeployments(): DoraDeploymentRecord[] {
    return this.deploymentList.map((d) => ({ ...d }));
  }

  doraFailures(): DoraFailureRecord[] {
    return this.failureList.map((f) => ({ ...f }));
  }

  snapshots(): SnapshotRecord[] {
    return this.snapshotList.map(({ series: _series, png: _png, ...record }) => ({ ...record }));
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

  // --- metrics ---

  private resolveSeries(query: string, fromMs: number, toMs: number): SeriesSpec[] {
    const normalized = normalizeQuery(query);
    let source = this.exactSeries.get(normalized);
    if (source === undefined) {
      for (let i = this.patternSeries.length - 1; i >= 0; i--) {
        const candidate = this.patternSeries[i] as { pattern: RegExp; source: SeriesSource };
        candidate.pattern.lastIndex = 0;
        if (candidate.pattern.test(query)) {
          source = candidate.source;
          break;
        }
      }
    }
    if (source === undefined) return [];
    const series = typeof source === 'function' ? source(fromMs, toMs, query) : source;
    return series
      .map((s) => ({ ...s, points: s.points.filter(([t]) => t >= fromMs && t <= toMs).sort((a, b) => a[0] - b[0]) }))
      .filter((s) => s.points.length > 0);
  }

  private queryMetrics(request: Request): Answer {
    const from = seconds(request.query, 'from');
    const to = seconds(request.query, 'to');
    const query = request.query.get('query');
    if (query === null || query.trim() === '') throw new BadRequest("The value provided for parameter 'query' is invalid");
    const parsed = parseQuery(query);
    const series = this.resolveSeries(query, from * 1000, to * 1000).map((s) => {
      const scopeTags = splitTags(s.scope);
      const metric = s.metric ?? parsed.metric;
      const first = (s.points[0] as MetricPoint)[0];
      const last = (s.points[s.points.length - 1] as MetricPoint)[0];
      return {
        metric,
        display_name: metric,
        expression: expressionFor(query, scopeTags),
        scope: scopeTags.length === 0 ? '*' : scopeTags.join(','),
        tag_set: scopeTags.filter((t) => parsed.groupBy.includes(tagKey(t))),
        pointlist: s.points.map(([t, v]) => [t, v]),
        length: s.points.length,
        start: first,
        end: last,
        interval: intervalOf(s.points),
        aggr: parsed.aggr,
        query_index: 0,
        ...(s.unit === undefined ? {} : { unit: [unitOf(s.unit), null] }),
      };
    });
    return {
      status: 200,
      body: {
        status: 'ok',
        res_type: 'time_series',
        resp_version: 1,
        query,
        from_date: from * 1000,
        to_date: to * 1000,
        group_by: parsed.groupBy,
        message: '',
        series,
      },
    };
  }

  // --- snapshots ---

  private takeSnapshot(request: Request): Answer {
    const start = seconds(request.query, 'start');
    const end = seconds(request.query, 'end');
    const metricQuery = request.query.get('metric_query') ?? undefined;
    const graphDefParam = request.query.get('graph_def') ?? undefined;
    let queries: string[];
    if (metricQuery !== undefined && metricQuery.trim() !== '') {
      queries = [metricQuery];
    } else if (graphDefParam !== undefined) {
      queries = graphDefQueries(graphDefParam);
    } else {
      throw new BadRequest('One of metric_query or graph_def is required');
    }
    const title = request.query.get('title') ?? undefined;
    const width = clampInt(request.query.get('width'), 600, 100, 2000);
    const height = clampInt(request.query.get('height'), 300, 80, 1500);
    const id = createHash('sha1').update(`snapshot:${++this.seq}`).digest('hex');
    const day = new Date(this.clock()).toISOString().slice(0, 10);
    const graphDef = graphDefParam ?? JSON.stringify({ requests: queries.map((q) => ({ q })), viz: 'timeseries' });
    const series = queries.flatMap((q) => this.resolveSeries(q, start * 1000, end * 1000).map((s) => ({ scope: s.scope, points: s.points })));
    const stored: StoredSnapshot = {
      id,
      metricQuery: queries.join(', '),
      graphDef,
      ...(title === undefined ? {} : { title }),
      start,
      end,
      width,
      height,
      url: `${this.url}/snapshot/view/dd-snapshots-sandbox/org_1/${day}/${id}.png`,
      series,
    };
    this.snapshotList.push(stored);
    this.emit('change');
    return { status: 200, body: { graph_def: graphDef, metric_query: stored.metricQuery, snapshot_url: stored.url } };
  }

  private snapshotImage(id: string): Answer {
    const snapshot = this.snapshotList.find((s) => s.id === id);
    if (snapshot === undefined) return errors(404, 'Not found');
    snapshot.png ??= renderChart(snapshot.width, snapshot.height, snapshot.start * 1000, snapshot.end * 1000, snapshot.series);
    return { status: 200, raw: snapshot.png, contentType: 'image/png' };
  }

  // --- events ---

  private createEvent(request: Request): Answer {
    const body = objectBody(request.body);
    const title = body.title;
    const text = body.text;
    if (typeof title !== 'string' || title === '') throw new BadRequest("Event 'title' is required");
    if (typeof text !== 'string') throw new BadRequest("Event 'text' is required");
    const alertType = optionalString(body, 'alert_type') ?? 'info';
    if (!EVENT_ALERT_TYPES.includes(alertType)) throw new BadRequest(`Invalid alert_type: ${alertType}`);
    const priority = optionalString(body, 'priority') ?? 'normal';
    if (!EVENT_PRIORITIES.includes(priority)) throw new BadRequest(`Invalid priority: ${priority}`);
    const tags = stringArray(body, 'tags');
    const dateHappened = typeof body.date_happened === 'number' ? Math.trunc(body.date_happened) : Math.floor(this.clock() / 1000);
    const id = FIRST_EVENT_ID + this.eventList.length;
    const host = optionalString(body, 'host');
    const aggregationKey = optionalString(body, 'aggregation_key');
    const sourceTypeName = optionalString(body, 'source_type_name');
    const event: RecordedEvent = {
      id,
      title: title.slice(0, 100),
      text: text.slice(0, 4000),
      tags,
      dateHappened,
      alertType,
      priority,
      ...(host === undefined ? {} : { host }),
      ...(aggregationKey === undefined ? {} : { aggregationKey }),
      ...(sourceTypeName === undefined ? {} : { sourceTypeName }),
      ...(typeof body.related_event_id === 'number' ? { relatedEventId: body.related_event_id } : {}),
      url: `${this.url}/event/event?id=${id}`,
    };
    this.eventList.push(event);
    return {
      status: 202,
      body: {
        status: 'ok',
        event: {
          id,
          id_str: String(id),
          title: event.title,
          text: event.text,
          date_happened: dateHappened,
          handle: null,
          priority,
          alert_type: alertType,
          related_event_id: event.relatedEventId ?? null,
          tags,
          url: event.url,
        },
      },
    };
  }

  // --- DORA ---

  private createDeployment(request: Request): Answer {
    const attributes = doraAttributes(request.body);
    const service = optionalString(attributes, 'service');
    if (service === undefined || service === '') throw new BadRequest("'service' is required");
    const startedAt = requiredTime(attributes, 'started_at');
    const finishedAt = requiredTime(attributes, 'finished_at');
    const id = optionalString(attributes, 'id') ?? createHash('sha1').update(`dora-deployment:${++this.seq}`).digest('hex').slice(0, 16);
    const git = doraGit(attributes);
    const record: DoraDeploymentRecord = {
      id,
      service,
      ...optionalFields(attributes, ['env', 'version', 'team']),
      startedAt,
      finishedAt,
      ...(git === undefined ? {} : { git }),
      customTags: stringArray(attributes, 'custom_tags'),
      attributes,
    };
    this.deploymentList.push(record);
    return { status: 200, body: { data: { id, type: 'dora_deployment' } }, contentType: 'application/vnd.api+json' };
  }

  private createFailure(request: Request): Answer {
    const attributes = doraAttributes(request.body);
    const startedAt = requiredTime(attributes, 'started_at');
    const finishedAt = attributes.finished_at === undefined || attributes.finished_at === null ? undefined : requiredTime(attributes, 'finished_at');
    const hex = createHash('sha1').update(`dora-failure:${++this.seq}`).digest('hex');
    const id =
      optionalString(attributes, 'id') ?? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const git = doraGit(attributes);
    const record: DoraFailureRecord = {
      id,
      ...optionalFields(attributes, ['name', 'env', 'severity', 'version', 'team']),
      services: stringArray(attributes, 'services'),
      startedAt,
      ...(finishedAt === undefined ? {} : { finishedAt }),
      ...(git === undefined ? {} : { git }),
      customTags: stringArray(attributes, 'custom_tags'),
      attributes,
    };
    this.failureList.push(record);
    return { status: 200, body: { data: { id, type: 'dora_failure' } }, contentType: 'application/vnd.api+json' };
  }

  // --- monitors ---

  private listMonitors(request: Request): Answer {
    const scopeFilter = splitTags(request.query.get('tags') ?? '').map((t) => t.toLowerCase());
    const tagFilter = splitTags(request.query.get('monitor_tags') ?? '').map((t) => t.toLowerCase());
    const name = request.query.get('name')?.toLowerCase();
    const groupStates = request.query.get('group_states');
    const wanted = groupStates === null ? undefined : groupStates.split(',').map((s) => s.trim().toLowerCase());
    let monitors = this.monitorList.filter((m) => {
      if (name !== undefined && !m.name.toLowerCase().includes(name)) return false;
      const scope = scopeOf(queryOf(m)).map((t) => t.toLowerCase());
      if (!scopeFilter.every((t) => scope.includes(t))) return false;
      const own = (m.tags ?? []).map((t) => t.toLowerCase());
      return tagFilter.every((t) => own.includes(t));
    });
    monitors.sort((a, b) => a.id - b.id);
    const page = request.query.get('page');
    if (page !== null) {
      const size = clampInt(request.query.get('page_size'), 100, 1, 1000);
      const index = clampInt(page, 0, 0, Number.MAX_SAFE_INTEGER);
      monitors = monitors.slice(index * size, (index + 1) * size);
    }
    const created = new Date(this.clock()).toISOString();
    return { status: 200, body: monitors.map((m) => this.monitorView(m, created, wanted)) };
  }

  private monitorView(m: MonitorSpec, created: string, wantedStates: string[] | undefined): Record<string, unknown> {
    const query = queryOf(m);
    const threshold = /([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(query);
    const view: Record<string, unknown> = {
      id: m.id,
      name: m.name,
      type: m.type ?? 'query alert',
      query,
      message: m.message ?? '',
      tags: [...(m.tags ?? [])],
      options: {
        notify_no_data: false,
        notify_audit: false,
        include_tags: true,
        require_full_window: false,
        new_host_delay: 300,
        silenced: {},
        ...(threshold === null ? {} : { thresholds: { critical: Number(threshold[2]) } }),
      },
      overall_state: m.overallState,
      overall_state_modified: created,
      multi: (m.groups?.length ?? 0) > 0 || /\bby\s*\{/.test(query),
      priority: null,
      restricted_roles: null,
      deleted: null,
      created,
      modified: created,
      creator: { email: 'release-bot@example.com', handle: 'release-bot@example.com', name: 'Release Bot' },
      org_id: 1,
    };
    if (wantedStates !== undefined) {
      const all = wantedStates.includes('all');
      const groups: Record<string, unknown> = {};
      for (const g of m.groups ?? []) {
        if (!all && !wantedStates.includes(g.status.toLowerCase())) continue;
        const triggered = g.status === 'Alert' || g.status === 'Warn';
        groups[g.name] = {
          name: g.name,
          status: g.status,
          last_triggered_ts: triggered ? Math.floor(this.clock() / 1000) : 0,
          last_nodata_ts: g.status === 'No Data' ? Math.floor(this.clock() / 1000) : 0,
          last_notified_ts: triggered ? Math.floor(this.clock() / 1000) : 0,
          last_resolved_ts: 0,
        };
      }
      view.state = { groups };
    }
    return view;
  }
}

// ---------------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------------

function errors(status: number, message: string): Answer {
  return { status, body: { errors: [message] } };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, answer: Answer): void {
  const payload = answer.raw ?? Buffer.from(answer.body === undefined ? '' : JSON.stringify(answer.body));
  res.writeHead(answer.status, {
    'content-type': answer.contentType ?? 'application/json',
    'content-length': payload.length,
    'x-content-type-options': 'nosniff',
    ...answer.headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  if (raw.length === 0) return raw;
  if (encoding === 'gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  return raw;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function seconds(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  const value = text === null ? Number.NaN : Number(text);
  if (!Number.isInteger(value)) throw new BadRequest(`The value provided for parameter '${name}' is invalid`);
  return value;
}

function clampInt(text: string | null | undefined, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text ?? '', 10);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Invalid JSON body');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`'${field}' must be a string`);
  return value;
}

function optionalFields<K extends string>(body: Record<string, unknown>, fields: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const field of fields) {
    const value = optionalString(body, field);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function stringArray(body: Record<string, unknown>, field: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new BadRequest(`'${field}' must be a list of strings`);
  return [...value] as string[];
}

function doraAttributes(body: unknown): Record<string, unknown> {
  const data = objectBody(body).data;
  if (typeof data !== 'object' || data === null) throw new BadRequest("'data' is required");
  const attributes = (data as Record<string, unknown>).attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new BadRequest("'data.attributes' is required");
  return attributes as Record<string, unknown>;
}

/** DORA timestamps may be seconds, milliseconds or nanoseconds: all become milliseconds. */
function requiredTime(attributes: Record<string, unknown>, field: string): number {
  const value = attributes[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new BadRequest(`'${field}' is required`);
  if (value > 1e15) return Math.round(value / 1e6);
  if (value > 1e11) return Math.round(value);
  return Math.round(value * 1000);
}

function doraGit(attributes: Record<string, unknown>): DoraGit | undefined {
  const git = attributes.git;
  if (git === undefined || git === null) return undefined;
  if (typeof git !== 'object') throw new BadRequest("'git' must be an object");
  const commitSha = optionalString(git as Record<string, unknown>, 'commit_sha');
  const repositoryUrl = optionalString(git as Record<string, unknown>, 'repository_url');
  if (commitSha === undefined || repositoryUrl === undefined) throw new BadRequest("'git' needs commit_sha and repository_url");
  return { commitSha, repositoryUrl };
}

// ---------------------------------------------------------------------------------------------
// Query helpers
// ---------------------------------------------------------------------------------------------

function normalizeQuery(query: string): string {
  return query.replace(/\s+/g, '');
}

function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== '*');
}

function tagKey(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(0, colon);
}

/** The aggregator, metric name and group-by keys of a metric query (the whole expression for arithmetic). */
function parseQuery(query: string): { aggr: string | null; metric: string; groupBy: string[] } {
  const groupBy = [...query.matchAll(/\bby\s*\{([^}]*)\}/g)].flatMap((m) => splitTags(m[1] as string));
  const single = /^\s*(?:([a-z0-9_]+):)?([A-Za-z0-9_.]+)\{[^}]*\}(?:\s*by\s*\{[^}]*\})?(?:\.[a-z_]+\([^)]*\))*\s*$/.exec(query);
  if (single !== null) return { aggr: single[1] ?? null, metric: single[2] as string, groupBy: [...new Set(groupBy)] };
  const metric = query
    .replace(/\bby\s*\{[^}]*\}/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\.[a-z_]+\([^)]*\)/g, '')
    .replace(/\b[a-z0-9_]+:(?=[A-Za-z])/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { aggr: null, metric, groupBy: [...new Set(groupBy)] };
}

/** The query as this series answers it: each scope gets the series' tags, the group-by clause goes. */
function expressionFor(query: string, scopeTags: string[]): string {
  return query.replace(/\s*\bby\s*\{[^}]*\}/g, '').replace(/\{([^}]*)\}/g, (_all, inner: string) => {
    const tags = [...new Set([...splitTags(inner), ...scopeTags])];
    return `{${tags.length === 0 ? '*' : tags.join(',')}}`;
  });
}

function intervalOf(points: MetricPoint[]): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const gap = (points[i] as MetricPoint)[0] - (points[i - 1] as MetricPoint)[0];
    if (gap > 0) smallest = Math.min(smallest, gap);
  }
  return Number.isFinite(smallest) ? Math.max(1, Math.round(smallest / 1000)) : 60;
}

function unitOf(name: string): Record<string, unknown> {
  return UNITS[name] ?? { family: 'general', name, plural: `${name}s`, short_name: null, scale_factor: 1 };
}

function graphDefQueries(graphDef: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(graphDef);
  } catch {
    throw new BadRequest('graph_def is not valid JSON');
  }
  const requests = (parsed as { requests?: unknown }).requests;
  const queries = Array.isArray(requests)
    ? requests.map((r) => (r as { q?: unknown }).q).filter((q): q is string => typeof q === 'string')
    : [];
  if (queries.length === 0) throw new BadRequest('graph_def has no requests');
  return queries;
}

function queryOf(monitor: MonitorSpec): string {
  if (monitor.query !== undefined) return monitor.query;
  const scope = (monitor.tags ?? []).filter((t) => t.includes(':'));
  return `avg(last_5m):avg:trace.web.request.errors{${scope.length === 0 ? '*' : scope.join(',')}} > 1`;
}

/** The tags in a monitor query's `{…}` filters (not its group-by clause). */
function scopeOf(query: string): string[] {
  const withoutGroups = query.replace(/\bby\s*\{[^}]*\}/g, '');
  return [...withoutGroups.matchAll(/\{([^}]*)\}/g)].flatMap((m) => (m[1] as string).split(/,|\s+AND\s+/i).map((t) => t.trim())).filter((t) => t !== '' && t !== '*');
}

// ---------------------------------------------------------------------------------------------
// The snapshot picture: a line chart drawn into an RGB buffer and encoded as PNG with node:zlib
// ---------------------------------------------------------------------------------------------

const PALETTE: [number, number, number][] = [
  [119, 74, 164],
  [61, 142, 211],
  [60, 170, 100],
  [235, 150, 40],
  [220, 60, 70],
  [30, 170, 170],
];

function renderChart(width: number, height: number, fromMs: number, toMs: number, series: { points: MetricPoint[] }[]): Buffer {
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const at = (y * width + x) * 3;
    pixels[at] = r;
    pixels[at + 1] = g;
    pixels[at + 2] = b;
  };
  const left = 12;
  const right = width - 12;
  const top = 12;
  const bottom = height - 12;
  for (let i = 0; i <= 4; i++) {
    const y = Math.round(top + ((bottom - top) * i) / 4);
    for (let x = left; x <= right; x++) set(x, y, i === 4 ? [150, 150, 150] : [228, 228, 232]);
  }
  for (let y = top; y <= bottom; y++) set(left, y, [150, 150, 150]);

  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null);
  let min = values.length === 0 ? 0 : Math.min(...values);
  let max = values.length === 0 ? 1 : Math.max(...values);
  if (max === min) {
    min -= 1;
    max += 1;
  }
  const pad = (max - min) * 0.05;
  min -= pad;
  max += pad;
  const span = Math.max(1, toMs - fromMs);
  const xOf = (t: number): number => Math.round(left + ((t - fromMs) / span) * (right - left));
  const yOf = (v: number): number => Math.round(bottom - ((v - min) / (max - min)) * (bottom - top));

  series.forEach((s, index) => {
    const color = PALETTE[index % PALETTE.length] as [number, number, number];
    const thick = (x: number, y: number): void => {
      set(x, y, color);
      set(x, y + 1, color);
    };
    let previous: [number, number] | undefined;
    s.points.forEach(([t, v], i) => {
      if (v === null) {
        previous = undefined;
        return;
      }
      const point: [number, number] = [xOf(t), yOf(v)];
      if (previous !== undefined) line(previous, point, thick);
      const next = s.points[i + 1];
      const isolated = previous === undefined && (next === undefined || next[1] === null);
      if (isolated) for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) set(point[0] + dx, point[1] + dy, color);
      previous = point;
    });
  });
  return encodePng(width, height, pixels);
}

/** Bresenham's line from a to b. */
function line([x0, y0]: [number, number], [x1, y1]: [number, number], plot: (x: number, y: number) => void): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  let x = x0;
  let y = y0;
  for (;;) {
    plot(x, y);
    if (x === x1 && y === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

/** An 8-bit RGB PNG: signature, IHDR, one zlib IDAT of unfiltered scanlines, IEND. */
export function encodePng(width: number, height: number, rgb: Buffer): Buffer {
  const stride = width * 3;
  const scanlines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    scanlines[y * (stride + 1)] = 0;
    rgb.copy(scanlines, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
