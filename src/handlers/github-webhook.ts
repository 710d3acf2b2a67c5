import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { Webhooks } from '@octokit/webhooks';
import type { Logger } from 'pino';
import type { GitHubDeliveries } from '../integrations/database/github-deliveries.js';
import type { JobPayloads, ReleaseJobs } from '../jobs/queue.js';
import type { DeliveryOutcome, Metrics } from '../integrations/metrics.js';

export const GITHUB_WEBHOOK_PATH = '/github/webhook';
/** GitHub caps a delivery at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** GitHub's X-GitHub-Delivery is a GUID; a BullMQ job id must not hold ':'. */
const DELIVERY_ID = /^[\w-]{1,100}$/;

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
 * records the delivery id (GitHub redelivers) and queues a `github-event` job that reads GitHub; it
 * answers at once, 202 when there is something to look at.
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
    await deps.deliveries.noteDelivery(delivery, event, now);
    const look = lookFor(event, delivery, payload);
    if (!look) return count('ignored', event), answer(res, 200, `ignored: ${event} changes nothing tminus follows`);
    if (!(await deps.deliveries.claim(delivery, event, now))) return count('duplicate', event), answer(res, 200, 'already received');
    try {
      await deps.jobs.add('github-event', look);
    } catch (error) {
      await deps.deliveries.unclaim(delivery);
      throw error;
    }
    answer(res, 202, 'accepted');
    const happenedAt = eventTime(event, payload);
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

/**
 * When GitHub says the event happened (ms), for the delivery's lag: the run's or job's latest change, the
 * review's, the pull request's merge, the push's. Undefined when the payload carries no such time.
 */
export function eventTime(event: string, payload: unknown): number | undefined {
  const p = payload as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const candidates: unknown[] =
    event === 'workflow_run'
      ? [p.workflow_run?.updated_at]
      : event === 'workflow_job'
        ? [p.workflow_job?.completed_at, p.workflow_job?.started_at, p.workflow_job?.created_at]
        : event === 'deployment_review'
          ? [p.action === 'requested' ? p.since : undefined, p.workflow_run?.updated_at]
          : event === 'deployment_protection_rule'
            ? [p.deployment?.updated_at, p.deployment?.created_at]
            : event === 'pull_request'
              ? [p.pull_request?.merged_at, p.pull_request?.updated_at]
              : event === 'push'
                ? [typeof p.repository?.pushed_at === 'number' ? p.repository.pushed_at * 1000 : undefined]
                : [];
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

/** The raw body, as GitHub signed it; undefined past GitHub's own size limit. */
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
