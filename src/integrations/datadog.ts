import { client, logger as datadogClientLogger, v1, v2 } from '@datadog/datadog-api-client';
import type { Series } from '../domain/verification.js';
import { scrubberOf } from '../domain/external-text.js';
import { outcomeOf, type CallObserver } from './metrics.js';
import { hostOf, networkFailure } from './network-errors.js';

/** Datadog could not be reached or answered with an error: checks read "no data", and are tried again. */
export class DatadogUnavailableError extends Error {
  override name = 'DatadogUnavailableError';
}

export interface DeployMarker {
  title: string;
  text: string;
  tags: string[];
  alertType: 'info' | 'success' | 'error' | 'warning';
}

/** What tminus reads from and writes to Datadog. */
export interface Observability {
  /** The series a metric query returns over [from, to] (ms); values in the query's unit. */
  querySeries(query: string, fromMs: number, toMs: number): Promise<Series[]>;
  /** How many log lines match a Logs search `query` in [from, to) (ms): the Logs aggregate API's count. */
  countLogs(query: string, fromMs: number, toMs: number): Promise<number>;
  /** A graph picture of `queries` over the window, its public URL; `size` in pixels (unset: the graph's own, which may not fit a thread). */
  graphSnapshot(queries: string[], fromMs: number, toMs: number, title: string, size?: { width: number; height: number }): Promise<string>;
  event(marker: DeployMarker): Promise<void>;
  /** `git`: the commit deployed and its repository, from which Datadog computes the lead time for changes. */
  doraDeployment(d: { service: string; env: string; version: string; startedAt: Date; finishedAt: Date; git?: { commitSha: string; repositoryUrl: string } }): Promise<void>;
  doraFailure(f: { service: string; env: string; version: string; name: string; severity: string; startedAt: Date; finishedAt?: Date }): Promise<void>;
  /** Monitors whose overall state is Alert (optionally only those with `tags`). */
  alertingMonitors(tags?: string[]): Promise<{ id: number; name: string }[]>;
  /** Reports every call to Datadog (latency, status) to `observer`: tminus's metrics. */
  observeCalls?(observer: CallObserver): void;
}

/** The API method behind each thing tminus does with Datadog: the metrics' `method` label. */
const API_METHODS: Record<string, string> = {
  'list monitors': 'MonitorsApi.listMonitors',
  'query metrics': 'MetricsApi.queryMetrics',
  'count logs': 'LogsApi.aggregateLogs',
  'take a graph snapshot': 'SnapshotsApi.getGraphSnapshot',
  'post an event': 'EventsApi.createEvent',
  'report a deployment to DORA metrics': 'DORAMetricsApi.createDORADeployment',
  'report a failure to DORA metrics': 'DORAMetricsApi.createDORAFailure',
};

export interface DatadogOptions {
  apiKey: string;
  appKey: string;
  /** `datadoghq.com`, `datadoghq.eu`, …; ignored when `apiUrl` is given. */
  site: string;
  apiUrl?: string;
  timeoutMs?: number;
  /** Other configured credentials to scrub from Datadog's error text (its keys always are). */
  secrets?: readonly string[];
}

/**
 * The real client, configured explicitly (never from DD_* in the environment). Its own retries are off: a
 * verification run that cannot read Datadog reports ⚠️ and is tried again by the queue.
 */
export function createObservability(options: DatadogOptions): Observability {
  // The client prints every failed request to the console, unscrubbed and as a stack; tminus logs each failure itself.
  datadogClientLogger.setLevel('silent');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const configuration = () => {
    const config = client.createConfiguration({
      authMethods: { apiKeyAuth: options.apiKey, appKeyAuth: options.appKey },
      enableRetry: false,
      httpConfig: { signal: AbortSignal.timeout(timeoutMs) } as never,
      ...(options.apiUrl ? { baseServer: new client.BaseServerConfiguration(options.apiUrl.replace(/\/$/, ''), {}) } : {}),
    });
    if (!options.apiUrl) config.setServerVariables({ site: options.site });
    return config;
  };
  let observe: CallObserver = () => {};
  const datadogHost = options.apiUrl ? hostOf(options.apiUrl) : `api.${options.site}`;
  // Datadog's answer (or a proxy's) goes on to Slack and the audit log: scrubbed where it enters.
  const scrub = scrubberOf([options.apiKey, options.appKey, ...(options.secrets ?? [])]);
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      const result = await fn();
      observe('datadog', API_METHODS[what] ?? what, (performance.now() - start) / 1000, 'ok');
      return result;
    } catch (error) {
      // An ApiException's `code` is Datadog's HTTP status; node-fetch's FetchError (no answer) carries a system code there.
      const raw = (error as { code?: unknown }).code;
      const status = typeof raw === 'number' ? raw : undefined;
      const unreached = status === undefined ? networkFailure(error) : undefined;
      const outcome = status !== undefined ? outcomeOf(status) : unreached !== undefined ? 'unreachable' : 'error';
      observe('datadog', API_METHODS[what] ?? what, (performance.now() - start) / 1000, outcome);
      if (unreached !== undefined) {
        throw new DatadogUnavailableError(`tminus could not reach ${datadogHost} when it tried to ${what}: ${scrub(unreached, 500)}`);
      }
      const why = scrub(error instanceof Error ? error.message : String(error), 500);
      // No status and no network failure: an answer of the wrong shape.
      throw new DatadogUnavailableError(`Datadog ${status ? `answered ${status}` : 'gave no usable answer'} when tminus tried to ${what}: ${why}`);
    }
  };
  const seconds = (ms: number) => Math.floor(ms / 1000);

  return {
    observeCalls: (observer) => {
      observe = observer;
    },
    alertingMonitors: (tags) =>
      call('list monitors', async () => {
        const monitors = await new v1.MonitorsApi(configuration()).listMonitors({ groupStates: 'alert', ...(tags && tags.length > 0 ? { monitorTags: tags.join(',') } : {}), pageSize: 1000 });
        return monitors.filter((m) => m.overallState === 'Alert').map((m) => ({ id: m.id ?? 0, name: m.name ?? `monitor ${m.id}` }));
      }),
    querySeries: (query, fromMs, toMs) =>
      call('query metrics', async () => {
        const answer = await new v1.MetricsApi(configuration()).queryMetrics({ from: seconds(fromMs), to: seconds(toMs), query });
        // Oldest first, as the judgement reads the newest point last (Datadog sends them so; a proxy may not).
        const inTimeOrder = (points: (number | null | undefined)[][]) => [...points].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
        return (answer.series ?? []).map((s) => ({ scope: s.scope ?? s.tagSet?.join(',') ?? '*', values: inTimeOrder(s.pointlist ?? []).map((p) => p[1] ?? null) }));
      }),
    countLogs: (query, fromMs, toMs) =>
      call('count logs', async () => {
        const answer = await new v2.LogsApi(configuration()).aggregateLogs({
          body: { compute: [{ aggregation: 'count', type: 'total' }], filter: { query, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), indexes: ['*'] } },
        });
        if (answer.meta?.status === 'timeout') throw new Error('the log count timed out on Datadog');
        // No bucket at all when nothing matched: a count of 0.
        const value = answer.data?.buckets?.[0]?.computes?.c0;
        if (value === undefined) return 0;
        if (typeof value !== 'number') throw new Error(`the log count came back as ${JSON.stringify(value)}`);
        return value;
      }),
    graphSnapshot: (queries, fromMs, toMs, title, size) =>
      call('take a graph snapshot', async () => {
        const graphDef = JSON.stringify({ viz: 'timeseries', requests: queries.map((q) => ({ q, display_type: 'line' })) });
        const answer = await new v1.SnapshotsApi(configuration()).getGraphSnapshot({ start: seconds(fromMs), end: seconds(toMs), graphDef, title, ...size });
        if (!answer.snapshotUrl) throw new Error('no snapshot_url in the answer');
        return answer.snapshotUrl;
      }),
    event: (marker) =>
      call('post an event', async () => {
        await new v1.EventsApi(configuration()).createEvent({ body: { title: marker.title, text: marker.text, tags: marker.tags, alertType: marker.alertType, sourceTypeName: 'tminus' } });
      }),
    doraDeployment: (d) =>
      call('report a deployment to DORA metrics', async () => {
        await new v2.DORAMetricsApi(configuration()).createDORADeployment({
          body: {
            data: {
              attributes: {
                service: d.service,
                env: d.env,
                version: d.version,
                startedAt: d.startedAt.getTime() * 1e6,
                finishedAt: d.finishedAt.getTime() * 1e6,
                ...(d.git ? { git: { commitSha: d.git.commitSha, repositoryUrl: d.git.repositoryUrl } } : {}),
              },
            },
          },
        });
      }),
    doraFailure: (f) =>
      call('report a failure to DORA metrics', async () => {
        await new v2.DORAMetricsApi(configuration()).createDORAFailure({
          body: {
            data: {
              attributes: {
                services: [f.service],
                env: f.env,
                version: f.version,
                name: f.name,
                severity: f.severity,
                startedAt: f.startedAt.getTime() * 1e6,
                ...(f.finishedAt ? { finishedAt: f.finishedAt.getTime() * 1e6 } : {}),
              },
            },
          },
        });
      }),
  };
}
