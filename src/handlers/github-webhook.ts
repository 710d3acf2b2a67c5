import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { Webhooks } from '@octokit/webhooks';
import type { Logger } from 'pino';
import type { GitHubDeliveries } from '../integrations/database/github-deliveries.js';
import type { JobPayloads, ReleaseJobs } from '../jobs/queue.js';
import type { DeliveryOutcome, Metrics } from '../integrations/metrics.js';
import { GITHUB_BODY_LIMIT } from './http-limits.js';

export const GITHUB_WEBHOOK_PATH = '/github/webhook';
/** 1 MiB, not GitHub's 25 MB cap: the events tminus takes are small (http-limits.ts says why). */
const MAX_BODY_BYTES = GITHUB_BODY_LIMIT;
/** GitHub's X-GitHub-Delivery is a GUID; a BullMQ job id must not hold ':'. */
const DELIVERY_ID = /^[\w-]{1,100}$/;
/** A delivery counts as "webhooks flowing" only when its event happened within this of tminus's now (GitHub's lag is seconds). */
export const FRESH_EVENT_MS = 10 * 60_000;

export type GitHubEventLook = JobPayloads['github-event'];

export interface GitHubWebhookDeps {
  secret: string;
  /** owner/repo: deliveries about any other repository are ignored. */
  repository: string;
  deliveries: GitHubDeliveries;
  jobs: ReleaseJobs;
  clock: () => Date;
  log: Logger;
  /** Deliveries counted by event and outcome, and their lag behind GitHub's event (tminus's /metrics). */
  metrics?: Pick<Metrics, 'delivery'>;
}

/**
 * POST /github/webhook: GitHub's deliveries, signed with the webhook secret. The route only verifies,
 * records the delivery by its id (GitHub redelivers) and by its signed body's hash (a replay under a new id
 * is "already received"), and queues a `github-event` job that reads GitHub; it answers at once, 202 when
 * there is something to look at.
 */
export function githubWebhookRoute(deps: GitHubWebhookDeps): CustomRoute {
  const webhooks = new Webhooks({ secret: deps.secret });
  let lastPrune = 0;
  return {
    path: GITHUB_WEBHOOK_PATH,
    method: ['POST'],
    handler: (req, res) => {
      receive(req, res).catch((err: unknown) => {
        deps.log.error({ err }, 'github webhook: delivery not taken');
        answer(res, 500, 'not taken: redeliver it later');
      });
    },
  };

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const count = (outcome: DeliveryOutcome, event?: string, lagSeconds?: number) => deps.metrics?.delivery(event, outcome, lagSeconds);
    const body = await readBody(req);
    if (body === undefined) return count('refused'), answer(res, 413, 'payload too large');
    const signature = header(req, 'x-hub-signature-256');
    if (!signature || !(await webhooks.verify(body, signature).catch(() => false))) return count('refused'), answer(res, 401, 'signature does not match the webhook secret');
    const event = header(req, 'x-github-event');
    const delivery = header(req, 'x-github-delivery');
    if (!event || !delivery || !DELIVERY_ID.test(delivery)) return count('refused', event), answer(res, 400, 'X-GitHub-Event and X-GitHub-Delivery are required');
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return count('refused', event), answer(res, 400, 'the payload is not JSON: set the content type to application/json');
    }
    const repository = (payload as { repository?: { full_name?: unknown } }).repository?.full_name;
    if (typeof repository !== 'string' || repository.toLowerCase() !== deps.repository.toLowerCase()) return count('ignored', event), answer(res, 200, 'ignored: not the repository tminus releases');

    const now = deps.clock();
    // Once by its id (GitHub's redelivery) and once by what was signed (a captured body replayed under a new id).
    const bodyHash = createHash('sha256').update(body).digest('hex');
    if (!(await deps.deliveries.claim(delivery, event, now, bodyHash))) return count('duplicate', event), answer(res, 200, 'already received');
    const happenedAt = eventTime(event, payload);
    const look = lookFor(event, delivery, payload);
    try {
      // Webhooks flow when GitHub tells what happens now: a late delivery of an old event proves nothing of that.
      if (happenedAt !== undefined && Math.abs(now.getTime() - happenedAt) < FRESH_EVENT_MS) await deps.deliveries.noteDelivery(delivery, event, now);
      if (!look) return count('ignored', event), answer(res, 200, `ignored: ${event} changes nothing tminus follows`);
      await deps.jobs.add('github-event', look);
    } catch (error) {
      // Not taken: GitHub's redelivery (or the same body again) must be.
      await deps.deliveries.unclaim(delivery, bodyHash);
      throw error;
    }
    answer(res, 202, 'accepted');
    count('accepted', event, happenedAt === undefined ? undefined : (now.getTime() - happenedAt) / 1000);
    // On tminus's clock, as the claims are dated: the database server's clock may be another.
    if (now.getTime() - lastPrune > 3_600_000) {
      lastPrune = now.getTime();
      void deps.deliveries.prune(new Date(now.getTime() - 14 * 86_400_000)).catch((err: unknown) => deps.log.warn({ err }, 'github webhook: pruning delivery ids'));
    }
  }
}

/**
 * What a delivery asks tminus to look at on GitHub: the run, the tag or the pull request it names.
 * Undefined for events and actions that change nothing tminus follows. The payload only points: the job
 * reads GitHub itself.
 */
export function lookFor(event: string, delivery: string, payload: unknown): GitHubEventLook | undefined {
  const p = payload as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const base = { delivery, event, ...(typeof p.action === 'string' ? { action: p.action } : {}) };
  switch (event) {
    case 'workflow_run':
    case 'deployment_review': {
      const run = p.workflow_run;
      if (typeof run?.id !== 'number') return undefined;
      return { ...base, runId: run.id, ...strings({ headSha: run.head_sha, headBranch: run.head_branch, workflowPath: run.path }) };
    }
    case 'workflow_job': {
      const job = p.workflow_job;
      if (typeof job?.run_id !== 'number') return undefined;
      return { ...base, runId: job.run_id, ...strings({ headSha: job.head_sha, headBranch: job.head_branch }) };
    }
    case 'deployment_protection_rule': {
      // A run waits at an environment: its id is in the callback URL (…/actions/runs/{id}/deployment_protection_rule).
      const runId = /\/actions\/runs\/(\d+)\//.exec(String(p.deployment_callback_url ?? ''))?.[1];
      const deployment = p.deployment;
      if (runId === undefined && typeof deployment?.sha !== 'string') return undefined;
      return { ...base, ...(runId ? { runId: Number(runId) } : {}), ...strings({ headSha: deployment?.sha, headBranch: deployment?.ref }) };
    }
    case 'check_suite':
    case 'check_run': {
      // CI finished on a commit: a release held at its readiness gate on it is judged now.
      const ci = event === 'check_suite' ? p.check_suite : p.check_run;
      if (p.action !== 'completed' || typeof ci?.head_sha !== 'string') return undefined;
      return { ...base, ...strings({ headSha: ci.head_sha, headBranch: event === 'check_suite' ? ci.head_branch : ci.check_suite?.head_branch }) };
    }
    case 'status': {
      if (typeof p.sha !== 'string' || p.state === 'pending') return undefined;
      const names: unknown[] = (Array.isArray(p.branches) ? p.branches : []).map((b: { name?: unknown }) => b?.name);
      const branches = names.filter((n): n is string => typeof n === 'string');
      return { ...base, headSha: p.sha, ...(branches.length > 0 ? { branches } : {}) };
    }
    case 'push': {
      const ref = typeof p.ref === 'string' ? p.ref : '';
      if (!ref.startsWith('refs/tags/')) return undefined;
      return { ...base, tag: ref.slice('refs/tags/'.length) };
    }
    case 'pull_request': {
      const pull = p.pull_request;
      if (p.action !== 'closed' || pull?.merged !== true || typeof pull.number !== 'number') return undefined;
      return { ...base, pullRequest: pull.number, ...strings({ headSha: pull.merge_commit_sha, headBranch: pull.base?.ref }) };
    }
    default:
      return undefined;
  }
}

/** Where each event's payload says when it happened, most telling first. */
const EVENT_TIMES: Record<string, (p: Record<string, any>) => unknown[]> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  workflow_run: (p) => [p.workflow_run?.updated_at],
  workflow_job: (p) => [p.workflow_job?.completed_at, p.workflow_job?.started_at, p.workflow_job?.created_at],
  deployment_review: (p) => [p.action === 'requested' ? p.since : undefined, p.workflow_run?.updated_at],
  deployment_protection_rule: (p) => [p.deployment?.updated_at, p.deployment?.created_at],
  check_suite: (p) => [p.check_suite?.updated_at],
  check_run: (p) => [p.check_run?.completed_at],
  status: (p) => [p.updated_at, p.created_at],
  pull_request: (p) => [p.pull_request?.merged_at, p.pull_request?.updated_at],
  push: (p) => [typeof p.repository?.pushed_at === 'number' ? p.repository.pushed_at * 1000 : undefined],
};

/**
 * When GitHub says the event happened (ms), for the delivery's lag and whether webhooks flow: the run's or
 * job's latest change, the review's, CI's, the pull request's merge, the push's. Undefined when the payload carries no such time.
 */
export function eventTime(event: string, payload: unknown): number | undefined {
  const p = payload as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const candidates: unknown[] = EVENT_TIMES[event]?.(p) ?? [];
  for (const value of candidates) {
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

function strings<K extends string>(fields: Record<K, unknown>): Partial<Record<K, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v === 'string' && v !== '')) as Partial<Record<K, string>>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The raw body, as GitHub signed it; undefined past the route's limit (read no further). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status, message }));
}
