import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** The services tminus calls. */
export type CallService = 'slack' | 'github' | 'datadog';

/**
 * How a call to Slack, GitHub or Datadog ended, as a label: a rate limit (HTTP 429) is its own value, so an
 * operator can tell "we are being throttled" from "the service is failing".
 */
export type CallOutcome = 'ok' | '429' | '4xx' | '5xx' | 'unreachable' | 'error';

/** What the integrations report each call to; a no-op until tminus's metrics are attached. */
export type CallObserver = (service: CallService, method: string, seconds: number, outcome: CallOutcome) => void;

/** The outcome label of an HTTP status (undefined: no answer at all). */
export function outcomeOf(status: number | undefined): CallOutcome {
  if (status === undefined || status === 0) return 'unreachable';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  return 'ok';
}

/** GitHub delivery outcomes: taken, refused (bad signature or request), a redelivery of one taken, or nothing to follow. */
export type DeliveryOutcome = 'accepted' | 'refused' | 'duplicate' | 'ignored';

/** The events that label deliveries; anything else (or unsigned) is `other`, so a stranger cannot mint series. */
const WEBHOOK_EVENTS = new Set([
  'workflow_run',
  'workflow_job',
  'deployment_review',
  'deployment_protection_rule',
  'check_suite',
  'check_run',
  'status',
  'push',
  'pull_request',
  'ping',
]);

/** What the scrape reads at the moment it is asked: nothing is kept between scrapes. */
export interface MetricSources {
  /** Releases by state, from Postgres (one query). */
  releasesByState(): Promise<Record<string, number>>;
  /** The job queue: jobs waiting, delayed and running, and when the oldest waiting job became due (ms). */
  queue(): Promise<{ waiting: number; delayed: number; active: number; oldestWaitingSince?: number }>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * tminus's Prometheus metrics, on a registry of its own (two tminus in one process never share or clash).
 * Counters and histograms are fed by the worker, the integrations and the webhook route; releases and
 * the queue are read at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly jobRuns: Counter<'job'>;
  private readonly jobFailures: Counter<'job' | 'will_retry'>;
  private readonly jobDuration: Histogram<'job'>;
  private readonly callDuration: Histogram<'service' | 'method'>;
  private readonly callErrors: Counter<'service' | 'method' | 'status'>;
  private readonly deliveries: Counter<'event' | 'outcome'>;
  private readonly deliveryLag: Histogram<'event'>;

  constructor(options: { sources: MetricSources; now?: () => number; log?: Logger }) {
    const { registry } = this;
    const now = options.now ?? Date.now;
    collectDefaultMetrics({ register: registry });
    this.jobRuns = new Counter({ name: 'tminus_job_runs_total', help: 'Job attempts run, by job name.', labelNames: ['job'], registers: [registry] });
    this.jobFailures = new Counter({
      name: 'tminus_job_failures_total',
      help: 'Job attempts that failed, by job name; will_retry="false" when the job gave up.',
      labelNames: ['job', 'will_retry'],
      registers: [registry],
    });
    this.jobDuration = new Histogram({ name: 'tminus_job_duration_seconds', help: 'How long a job attempt ran, by job name.', labelNames: ['job'], buckets: SECONDS, registers: [registry] });
    this.callDuration = new Histogram({
      name: 'tminus_external_call_duration_seconds',
      help: 'Calls to Slack, GitHub and Datadog: latency by service and method (every HTTP attempt).',
      labelNames: ['service', 'method'],
      buckets: SECONDS,
      registers: [registry],
    });
    this.callErrors = new Counter({
      name: 'tminus_external_call_errors_total',
      help: 'Calls to Slack, GitHub and Datadog that failed, by service, method and status (429 = rate limited, 4xx, 5xx, unreachable, error = answered ok:false).',
      labelNames: ['service', 'method', 'status'],
      registers: [registry],
    });
    this.deliveries = new Counter({
      name: 'tminus_github_webhook_deliveries_total',
      help: 'GitHub webhook deliveries by event and outcome (accepted, refused, duplicate, ignored).',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    });
    this.deliveryLag = new Histogram({
      name: 'tminus_github_webhook_lag_seconds',
      help: "From GitHub's time of the event (as its payload says) to the delivery's arrival, by event.",
      labelNames: ['event'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    });

    new Gauge({
      name: 'tminus_releases',
      help: 'Releases by state, read from Postgres at scrape time.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [state, count] of Object.entries(await options.sources.releasesByState())) this.set({ state }, count);
      },
    });
    // One read of the queue serves both gauges of a scrape.
    let queueRead: Promise<Awaited<ReturnType<MetricSources['queue']>>> | undefined;
    const readQueue = () => (queueRead ??= options.sources.queue().finally(() => setTimeout(() => (queueRead = undefined), 0)));
    new Gauge({
      name: 'tminus_queue_jobs',
      help: 'Jobs in the release queue by state (waiting, delayed, active), read at scrape time.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const q = await readQueue();
        this.set({ state: 'waiting' }, q.waiting);
        this.set({ state: 'delayed' }, q.delayed);
        this.set({ state: 'active' }, q.active);
      },
    });
    new Gauge({
      name: 'tminus_queue_oldest_waiting_seconds',
      help: 'How long the oldest waiting job has been due without a worker taking it (0 when none waits).',
      registers: [registry],
      async collect() {
        const q = await readQueue();
        this.set(q.oldestWaitingSince === undefined ? 0 : Math.max(0, (now() - q.oldestWaitingSince) / 1000));
      },
    });
  }

  /** Records one attempt of a job: how long it ran and whether it failed (and if so, whether it will be tried again). */
  job(name: string, seconds: number, failed?: { willRetry: boolean }): void {
    this.jobRuns.inc({ job: name });
    this.jobDuration.observe({ job: name }, seconds);
    if (failed) this.jobFailures.inc({ job: name, will_retry: String(failed.willRetry) });
  }

  /** The observer the integrations report their calls to. */
  readonly call: CallObserver = (service, method, seconds, outcome) => {
    this.callDuration.observe({ service, method }, seconds);
    if (outcome !== 'ok') this.callErrors.inc({ service, method, status: outcome });
  };

  /** A webhook delivery's outcome, and (when taken) its lag behind GitHub's event time. */
  delivery(event: string | undefined, outcome: DeliveryOutcome, lagSeconds?: number): void {
    const label = event && WEBHOOK_EVENTS.has(event) ? event : 'other';
    this.deliveries.inc({ event: label, outcome });
    if (lagSeconds !== undefined && Number.isFinite(lagSeconds)) this.deliveryLag.observe({ event: label }, Math.max(0, lagSeconds));
  }

  /**
   * GET /metrics in Prometheus's text format. With a token, only `Authorization: Bearer <token>` is
   * answered (compared in constant time); without one the route is open, to be kept off the internet.
   */
  route(token: string | undefined, log?: Logger): { path: string; method: ['GET']; handler: (req: IncomingMessage, res: ServerResponse) => void } {
    const expected = token === undefined ? undefined : digest(token);
    return {
      path: '/metrics',
      method: ['GET'],
      handler: (req, res) => {
        if (expected && !bearerMatches(req.headers.authorization, expected)) {
          res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="tminus metrics"' });
          res.end('a bearer token is required (METRICS_TOKEN)\n');
          return;
        }
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            log?.warn({ err }, 'metrics: a scrape failed');
            res.writeHead(503, { 'content-type': 'text/plain' });
            res.end('metrics are unavailable right now\n');
          },
        );
      },
    };
  }
}

/** Hashing both sides first gives equal lengths, so the comparison's time says nothing about the token. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), expected);
}

/** Times `fn` and reports it to `observe` with the outcome `classify` reads from its result or error. */
export async function timed<T>(observe: CallObserver, service: CallService, method: string, fn: () => Promise<T>, classify: (error: unknown) => CallOutcome): Promise<T> {
  const start = performance.now();
  try {
    const result = await fn();
    observe(service, method, (performance.now() - start) / 1000, 'ok');
    return result;
  } catch (error) {
    observe(service, method, (performance.now() - start) / 1000, classify(error));
    throw error;
  }
}

/**
 * The `fetch` the Slack Web API client (and Bolt's `respond`) is given: each HTTP call timed and labelled by
 * its Web API method, a 429 apart, and an answer of `{ok: false}` counted as an error once its body is read.
 */
export function observedFetch(observe: CallObserver, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = /\/api\/([\w.]+)/.exec(url)?.[1] ?? 'response_url';
    const start = performance.now();
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      observe('slack', method, (performance.now() - start) / 1000, 'unreachable');
      throw error;
    }
    const seconds = (performance.now() - start) / 1000;
    const outcome = outcomeOf(response.status);
    if (outcome !== 'ok' || method === 'response_url') {
      observe('slack', method, seconds, outcome);
    } else {
      // Slack says most errors with HTTP 200 and `ok: false`: read a copy of the body, without holding the caller.
      response
        .clone()
        .json()
        .then(
          (body: unknown) => observe('slack', method, seconds, (body as { ok?: boolean } | null)?.ok === false ? 'error' : 'ok'),
          () => observe('slack', method, seconds, 'ok'),
        );
    }
    return response;
  };
}
