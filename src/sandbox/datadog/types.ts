/** The Datadog stand-in's public types: what tests and the sandbox script and read back. */

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

/** A log line in the stand-in's index, for the Logs search and aggregate APIs. */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  at: number;
  service: string;
  env?: string;
  /** `error`, `warn`, `info`, … as Datadog's log status. */
  status: string;
  message?: string;
  host?: string;
  /** Extra `key:value` tags (`version:v1.3.0`). */
  tags?: string[];
}
