import type { Policy } from '../domain/policy.js';
import type { DatadogStandIn, MetricPoint, SeriesSpec } from './datadog.js';
import { RESTORE_JOB } from './demo-world.js';
import type { GitHubStandIn } from './github.js';

/**
 * The sandbox's production metrics, served by the Datadog stand-in for every default check query: a point
 * every virtual minute with a little deterministic noise, healthy unless the page says otherwise (error rate
 * ~0.03 %, p99 ~220 ms, CPU ~45 % on two hosts, memory ~60 %, cache hits ~95 %, connection pool ~40 %, ~25 messages queued; no warning or error logs).
 *
 * The page changes the error rate and the p99 latency. A change shows in the last 5 virtual minutes too, as
 * if the problem began just before someone noticed: the next verification run (every 5 minutes in the first
 * hour) reads it over its whole window. A successful rollback run brings the healthy values back from the
 * moment its `start-previous-version` job finishes.
 */

const MINUTE = 60_000;
export const CHANGE_SHOWS_SINCE_MS = 5 * MINUTE;
/** A query over a longer window is answered with coarser points (Datadog rolls up too). */
const MAX_POINTS = 2_000;
const HOSTS = ['web-1', 'web-2'];

export const METRIC_PRESETS = ['healthy', 'errorRate', 'criticalErrorRate', 'slowP99'] as const;
export type MetricPreset = (typeof METRIC_PRESETS)[number];

interface Levels {
  /** Percent. */
  errorRate: number;
  /** Milliseconds. */
  latencyP99: number;
}

interface Change {
  /** From when its points show the levels (virtual ms). */
  at: number;
  /** When it happened: of two changes that both apply to a point, the later one wins. */
  recordedAt: number;
  levels: Levels;
}

interface MetricScript {
  pattern: RegExp;
  unit: string;
  /** Per host, or one series for the whole service. */
  byHost: boolean;
  /** Relative noise: each point is within ±spread of its level. */
  spread: number;
  level: (levels: Levels, host: string) => number;
}

export interface MetricReading {
  key: 'errorRate' | 'latencyP99' | 'cpu';
  label: string;
  unit: string;
  threshold?: number;
  direction?: 'below' | 'above';
  /** One value per series: `*` or `host:web-1`. */
  series: { scope: string; value: number }[];
}

export interface MetricsSnapshot {
  changes: Change[];
  outage: boolean;
}

export class SandboxMetrics {
  private readonly changes: Change[] = [];
  private readonly healthy: Levels;
  private readonly presets: Record<Exclude<MetricPreset, 'healthy'>, Partial<Levels>>;
  private outageOn = false;

  constructor(
    private readonly options: { datadog: DatadogStandIn; github: GitHubStandIn; clock: () => number; policy: Policy },
  ) {
    const checks = options.policy.verification.checks;
    const errorThreshold = checks.errorRate.threshold ?? 0.1;
    const latencyThreshold = checks.latencyP99.threshold ?? 400;
    this.healthy = { errorRate: errorThreshold * 0.3, latencyP99: latencyThreshold * 0.55 };
    this.presets = {
      // A high breach ("Feature broken"), well under the decision matrix's critical line.
      errorRate: { errorRate: errorThreshold * Math.min(5, options.policy.verification.criticalErrorRateFactor / 2) },
      // 25× the threshold by default: critical (`verification.criticalErrorRateFactor`), its alert carries "Roll back now".
      criticalErrorRate: { errorRate: errorThreshold * options.policy.verification.criticalErrorRateFactor * 2.5 },
      slowP99: { latencyP99: latencyThreshold * 2.25 },
    };
    for (const [key, script] of Object.entries(this.scripts())) {
      options.datadog.setSeries(script.pattern, (fromMs, toMs) => this.series(key, script, fromMs, toMs));
    }
  }

  /** Changes the metrics from now (and the last 5 virtual minutes); 'healthy' puts every value back. */
  apply(preset: MetricPreset): void {
    const now = this.options.clock();
    const current = this.levelsAt(now, this.allChanges());
    const levels = preset === 'healthy' ? { ...this.healthy } : { ...current, ...this.presets[preset] };
    this.changes.push({ at: now - CHANGE_SHOWS_SINCE_MS, recordedAt: now, levels });
  }

  /** While on, every Datadog API call answers 503. */
  setOutage(on: boolean): void {
    this.outageOn = on;
    this.options.datadog.outage(on);
  }

  get outage(): boolean {
    return this.outageOn;
  }

  /** The page's changes and whether Datadog is down, for world-store.ts. */
  snapshot(): MetricsSnapshot {
    return structuredClone({ changes: this.changes, outage: this.outageOn });
  }

  restore(snapshot: MetricsSnapshot): void {
    this.changes.splice(0, this.changes.length, ...structuredClone(snapshot.changes));
    this.setOutage(snapshot.outage);
  }

  /** What the error rate, p99 and CPU queries answer for the latest minute. */
  readings(): MetricReading[] {
    const checks = this.options.policy.verification.checks;
    const at = Math.floor(this.options.clock() / MINUTE) * MINUTE;
    const changes = this.allChanges();
    const scripts = this.scripts();
    const read = (key: MetricReading['key'], label: string) => {
      const script = scripts[key]!;
      const { threshold, direction, unit } = checks[key];
      return {
        key,
        label,
        unit: unit ?? '',
        ...(threshold === undefined ? {} : { threshold }),
        ...(direction === undefined ? {} : { direction }),
        series: scopes(script).map((scope) => ({ scope, value: this.valueAt(key, script, scope, at, changes) })),
      };
    };
    return [read('errorRate', 'Error rate'), read('latencyP99', 'Latency p99'), read('cpu', 'CPU')];
  }

  private scripts(): Record<string, MetricScript> {
    return {
      errorRate: { pattern: /trace\.web\.request\.errors/, unit: 'percent', byHost: false, spread: 0.2, level: (l) => l.errorRate },
      latencyP99: { pattern: /^\s*p99:trace\.web\.request\{/, unit: 'millisecond', byHost: false, spread: 0.06, level: (l) => l.latencyP99 },
      cpu: { pattern: /runtime\.node\.cpu/, unit: 'percent', byHost: true, spread: 0.08, level: (_l, host) => (host === 'host:web-1' ? 42 : 48) },
      memory: { pattern: /container\.memory\.usage/, unit: 'percent', byHost: true, spread: 0.03, level: (_l, host) => (host === 'host:web-1' ? 58 : 62) },
      cacheHitRate: { pattern: /redis\.stats\.keyspace_hits/, unit: 'percent', byHost: false, spread: 0.01, level: () => 95 },
      connectionPool: { pattern: /postgresql\.percent_usage_connections/, unit: 'percent', byHost: false, spread: 0.1, level: () => 40 },
      queueDepth: { pattern: /rabbitmq\.queue\.messages/, unit: 'message', byHost: false, spread: 0.2, level: () => 25 },
    };
  }

  private series(key: string, script: MetricScript, fromMs: number, toMs: number): SeriesSpec[] {
    const changes = this.allChanges();
    const first = Math.ceil(fromMs / MINUTE);
    const last = Math.floor(toMs / MINUTE);
    const step = Math.max(1, Math.ceil((last - first + 1) / MAX_POINTS));
    return scopes(script).map((scope) => {
      const points: MetricPoint[] = [];
      for (let minute = first; minute <= last; minute += step) points.push([minute * MINUTE, this.valueAt(key, script, scope, minute * MINUTE, changes)]);
      return { scope, unit: script.unit, points };
    });
  }

  private valueAt(key: string, script: MetricScript, scope: string, at: number, changes: Change[]): number {
    const level = script.level(this.levelsAt(at, changes), scope);
    const value = level * (1 + script.spread * noise(`${key}|${scope}`, Math.floor(at / MINUTE)));
    return Math.round(value * 10_000) / 10_000;
  }

  private levelsAt(at: number, changes: Change[]): Levels {
    let chosen: Change | undefined;
    for (const change of changes) if (change.at <= at && (chosen === undefined || change.recordedAt >= chosen.recordedAt)) chosen = change;
    return chosen?.levels ?? this.healthy;
  }

  /** The page's changes, and a healthy one wherever a rollback run restored the previous version. */
  private allChanges(): Change[] {
    const { github, policy } = this.options;
    const restored: Change[] = [];
    for (const dispatch of github.dispatches()) {
      if (dispatch.workflow !== policy.rollback.workflow) continue;
      const job = github.jobs(dispatch.runId).find((j) => j.name === RESTORE_JOB && j.conclusion === 'success' && j.completed_at !== null);
      if (job?.completed_at) {
        const at = Date.parse(job.completed_at);
        restored.push({ at, recordedAt: at, levels: { ...this.healthy } });
      }
    }
    return [...this.changes, ...restored];
  }
}

function scopes(script: MetricScript): string[] {
  return script.byHost ? HOSTS.map((h) => `host:${h}`) : ['*'];
}

/** A deterministic number in [-1, 1] for a series and a minute. */
function noise(series: string, minute: number): number {
  let h = 2_166_136_261;
  for (const ch of `${series}@${minute}`) h = Math.imul(h ^ ch.charCodeAt(0), 16_777_619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return ((h >>> 0) / 0xffff_ffff) * 2 - 1;
}
