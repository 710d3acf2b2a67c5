import { createHmac, randomUUID } from 'node:crypto';
import { ciEvents } from './ci-webhooks.js';
import type { GitHubStandIn } from './stand-in.js';
import type { JobView, WorkflowRunView } from './types.js';

/** One webhook delivery, as GitHub's "Recent Deliveries" lists it. */
export interface WebhookDelivery {
  /** X-GitHub-Delivery. */
  id: string;
  event: string;
  action?: string;
  payload: Record<string, unknown>;
  /** The exact bytes signed and sent. */
  body: string;
  /** When it was due to be sent (real time, ms). */
  at: number;
  /** The answer's status; undefined while in flight, or when dropped or unreachable. */
  status?: number;
  dropped: boolean;
  error?: string;
  redelivery: boolean;
}

export type WebhookFilter = (delivery: Pick<WebhookDelivery, 'event' | 'action' | 'payload'>) => boolean;

export interface WebhookOptions {
  /** Where the deliveries go, e.g. http://127.0.0.1:3000/github/webhook. */
  url: string;
  secret: string;
  /** How often (real ms) runs are read for progress that follows the clock alone. Default 20. */
  tickMs?: number;
  /** What an earlier hook had announced (its `snapshot()`): what changed since is announced at once. */
  announced?: WebhooksSnapshot;
}

/** What the hook has announced, as world-store.ts keeps it. */
export interface WebhooksSnapshot {
  runs: Map<number, string>;
  jobs: Map<number, string>;
  pending: Map<number, string>;
  reviews: Map<number, number>;
  tags: Set<string>;
  merged: Set<number>;
  ci: Map<string, string>;
}

const ZERO_SHA = '0000000000000000000000000000000000000000';
const HOOK_ID = '480000001';
const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

/**
 * The GitHub stand-in's repository webhook: what GitHub sends when runs are requested, start, wait at an
 * environment and complete (workflow_run, workflow_job, deployment_review, and deployment_protection_rule
 * where an app's rule guards the environment), when CI finishes on a commit (check_run, check_suite,
 * status), when a tag is pushed (push) and when a pull request is merged (pull_request), signed with the secret (X-Hub-Signature-256) and
 * carrying X-GitHub-Event and X-GitHub-Delivery. Like GitHub it never retries a failed delivery; tests
 * can drop, delay and redeliver them.
 */
export class GitHubWebhooks {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly seen: WebhooksSnapshot = {
    runs: new Map<number, string>(),
    jobs: new Map<number, string>(),
    pending: new Map<number, string>(),
    reviews: new Map<number, number>(),
    tags: new Set<string>(),
    merged: new Set<number>(),
    ci: new Map<string, string>(),
  };
  /** Environments with a custom deployment protection rule (a GitHub App's): a run waiting there is also announced by deployment_protection_rule. */
  private readonly protectionRules = new Set<string>();
  private readonly delays: { filter: WebhookFilter; ms: number }[] = [];
  private drops: { filter: WebhookFilter; left: number }[] = [];
  private delayMs = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private readonly onChange = () => this.observe(true);
  private stopped = false;

  constructor(
    private readonly github: GitHubStandIn,
    private readonly options: WebhookOptions,
  ) {
    if (options.announced) Object.assign(this.seen, structuredClone(options.announced));
    // What exists already was announced before this hook was added (or, restored, by the hook before it).
    else this.observe(false);
    github.on('change', this.onChange);
    this.timer = setInterval(() => this.observe(true), options.tickMs ?? 20);
    this.timer.unref();
  }

  /** What has been announced so far, for world-store.ts. */
  snapshot(): WebhooksSnapshot {
    return structuredClone(this.seen);
  }

  /** Stops observing and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.github.off('change', this.onChange);
    await this.settled();
  }

  /** Drops the next `n` deliveries, or (a filter) the next `times` that match it (every one by default). `0` ends every drop. */
  dropWebhooks(which: number | WebhookFilter, times = Number.POSITIVE_INFINITY): void {
    if (which === 0) this.drops = [];
    else if (typeof which === 'number') this.drops.push({ filter: () => true, left: which });
    else this.drops.push({ filter: which, left: times });
  }

  /** Sends every delivery (or, with a filter, those that match it) `ms` (real time) after its event; 0 sends at once. */
  delayWebhooks(ms: number, filter?: WebhookFilter): void {
    if (filter) this.delays.push({ filter, ms });
    else this.delayMs = ms;
  }

  /** A GitHub App's custom deployment protection rule on `environment`: runs waiting there are announced by deployment_protection_rule. */
  addProtectionRule(environment: string): void {
    this.protectionRules.add(environment);
  }

  /** Sends a delivery again with its id and body, as "Redeliver" does; the new attempt's status. */
  async redeliver(id: string): Promise<number | undefined> {
    const original = this.deliveries.find((d) => d.id === id);
    if (!original) throw new Error(`No delivery ${id}`);
    const again: WebhookDelivery = { ...original, at: Date.now(), status: undefined, dropped: false, error: undefined, redelivery: true };
    this.deliveries.push(again);
    await this.post(again);
    return again.status;
  }

  /** Resolves when every delivery due so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The headers GitHub sends with `body`, signed with `secret`. */
  static headers(event: string, id: string, body: string, secret: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-id': HOOK_ID,
      'x-github-hook-installation-target-type': 'repository',
      'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    };
  }

  // --- what changed ---

  private observe(announce: boolean): void {
    if (this.stopped) return;
    const send = (event: string, payload: Record<string, unknown>) => {
      if (announce) this.deliver(event, payload);
    };
    try {
      // The push first: on GitHub it is what starts the runs.
      for (const tag of [...this.github.tags()].reverse()) {
        if (this.seen.tags.has(tag.name)) continue;
        this.seen.tags.add(tag.name);
        send('push', this.tagPush(tag.name, tag.sha));
      }
      for (const run of [...this.github.runs()].reverse()) this.observeRun(run, send);
      const ci = ciEvents(this.github.ciOnCommits(), this.seen.ci);
      for (const [event, payload] of ci) send(event, { ...payload, repository: this.repository(), sender: ACTIONS_BOT });
      for (const pull of this.github.pulls()) {
        if (pull.merged_at === null || this.seen.merged.has(pull.number)) continue;
        this.seen.merged.add(pull.number);
        send('pull_request', { action: 'closed', number: pull.number, pull_request: { ...pull, merged: true }, repository: this.repository(), sender: pull.user });
      }
    } catch {
      // A run deleted between two reads: the next look sees the world settled.
    }
  }

  private observeRun(run: WorkflowRunView, send: (event: string, payload: Record<string, unknown>) => void): void {
    const state = `${run.run_attempt}:${run.status === 'waiting' ? 'in_progress' : run.status}`;
    const before = this.seen.runs.get(run.id);
    if (before !== state) {
      this.seen.runs.set(run.id, state);
      const action = run.status === 'completed' ? 'completed' : run.status === 'queued' || before === undefined || !before.startsWith(`${run.run_attempt}:`) ? 'requested' : 'in_progress';
      send('workflow_run', this.runPayload(action, run));
      // A run seen for the first time already running was requested and started between two looks.
      if (action === 'requested' && run.status !== 'queued') send('workflow_run', this.runPayload(run.status === 'completed' ? 'completed' : 'in_progress', run));
    }
    if (before?.endsWith(':completed') && state === before) return;
    for (const job of this.github.jobs(run.id)) {
      const jobState = `${job.status}:${job.conclusion ?? ''}`;
      if (this.seen.jobs.get(job.id) === jobState) continue;
      this.seen.jobs.set(job.id, jobState);
      send('workflow_job', { action: job.status, workflow_job: job, repository: this.repository(), sender: run.triggering_actor });
    }
    const pending = this.github.pendingDeployments(run.id);
    const waiting = pending.map((p) => p.environment.id).join(',');
    if ((this.seen.pending.get(run.id) ?? '') !== waiting) {
      this.seen.pending.set(run.id, waiting);
      for (const p of pending) {
        const job = this.github.jobs(run.id).find((j) => j.status === 'waiting');
        const environment = p.environment.name ?? '';
        if (this.protectionRules.has(environment)) send('deployment_protection_rule', this.protectionRulePayload(run, environment));
        send('deployment_review', {
          action: 'requested',
          environment: p.environment.name,
          since: p.wait_timer_started_at,
          requestor: run.triggering_actor,
          reviewers: p.reviewers,
          workflow_job_run: job && this.jobRun(job, p.environment.name),
          workflow_run: run,
          repository: this.repository(),
          organization: this.organization(),
          sender: run.triggering_actor,
        });
      }
    }
    const reviews = this.github.reviews(run.id);
    const told = this.seen.reviews.get(run.id) ?? 0;
    for (const review of reviews.slice(told)) {
      const approver = { login: review.reviewer, id: 0, type: 'User' };
      const environments = pending.length > 0 ? pending.map((p) => p.environment.name) : [];
      send('deployment_review', {
        action: review.state,
        approver,
        comment: review.comment,
        since: review.at,
        reviewers: [{ type: 'User', reviewer: approver }],
        workflow_job_runs: environments.map((environment) => ({ environment, status: review.state === 'approved' ? 'in_progress' : 'completed' })),
        workflow_run: run,
        repository: this.repository(),
        organization: this.organization(),
        sender: approver,
      });
    }
    this.seen.reviews.set(run.id, reviews.length);
  }

  // --- payloads: the fields tminus reads, in GitHub's shapes ---

  private runPayload(action: string, run: WorkflowRunView): Record<string, unknown> {
    return {
      action,
      workflow_run: run,
      workflow: { id: run.workflow_id, name: run.name, path: run.path, state: 'active', url: run.workflow_url },
      repository: this.repository(),
      sender: run.triggering_actor,
    };
  }

  /** What GitHub sends the rule's app: the environment, the deployment, and where to answer (the run's id is only in that URL). */
  private protectionRulePayload(run: WorkflowRunView, environment: string): Record<string, unknown> {
    const deployment = this.github.runDeployments(run.id).find((d) => d.environment === environment);
    return {
      action: 'requested',
      environment,
      event: run.event,
      deployment_callback_url: `${this.github.url}/repos/${this.github.fullName}/actions/runs/${run.id}/deployment_protection_rule`,
      deployment,
      pull_requests: [],
      repository: this.repository(),
      organization: this.organization(),
      installation: { id: 50_000_001, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNTAwMDAwMDE=' },
      sender: run.triggering_actor,
    };
  }

  private jobRun(job: JobView, environment: string) {
    return { id: job.id, name: job.name, status: job.status, conclusion: null, environment, html_url: job.html_url, created_at: job.created_at, updated_at: job.started_at };
  }

  private tagPush(name: string, sha: string): Record<string, unknown> {
    const repository = this.repository();
    return {
      ref: `refs/tags/${name}`,
      before: ZERO_SHA,
      after: sha,
      created: true,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `${repository.html_url}/compare/${name}`,
      commits: [],
      head_commit: { id: sha },
      repository,
      pusher: { name: this.github.tokenOwner, email: null },
      sender: { login: this.github.tokenOwner, type: 'Bot' },
    };
  }

  private repository() {
    const { github } = this;
    const owner = { login: github.owner, id: 70_000_001, type: 'Organization', html_url: `${github.url}/${github.owner}` };
    return {
      id: 60_000_001,
      node_id: 'R_sandbox',
      name: github.repo,
      full_name: github.fullName,
      private: true,
      owner,
      html_url: `${github.url}/${github.fullName}`,
      url: `${github.url}/repos/${github.fullName}`,
      default_branch: 'main',
    };
  }

  private organization() {
    return { login: this.github.owner, id: 70_000_001, node_id: 'O_sandbox', url: `${this.github.url}/orgs/${this.github.owner}` };
  }

  // --- sending ---

  private deliver(event: string, payload: Record<string, unknown>): void {
    const body = JSON.stringify(payload);
    const delivery: WebhookDelivery = { id: randomUUID(), event, ...(typeof payload.action === 'string' ? { action: payload.action } : {}), payload, body, at: Date.now(), dropped: false, redelivery: false };
    this.deliveries.push(delivery);
    const drop = this.drops.find((d) => d.left > 0 && d.filter(delivery));
    if (drop) {
      drop.left -= 1;
      delivery.dropped = true;
      return;
    }
    const delay = this.delays.find((d) => d.filter(delivery))?.ms ?? this.delayMs;
    const sending = (async () => {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      await this.post(delivery);
    })();
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  private async post(delivery: WebhookDelivery): Promise<void> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: GitHubWebhooks.headers(delivery.event, delivery.id, delivery.body, this.options.secret),
        body: delivery.body,
        // GitHub gives up on a delivery after 10 seconds.
        signal: AbortSignal.timeout(10_000),
      });
      delivery.status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
  }
}
