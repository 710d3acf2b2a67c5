import fc from 'fast-check';
import type { WorkflowRunView } from '../../src/sandbox/github.js';
import { DEPLOY_WORKFLOW, deleteQueueKeys, waitFor } from '../support/harness.js';
import { DEPLOY_JOBS, GITHUB_REVIEWER, note, startModelBot, ROLLBACK_WORKFLOW, setDatadog, sleep, within, type CiState, type Model, type Real } from './world-model.js';

/** What the rest of the world does: GitHub's runs and people in its UI, its outages, Datadog, the process, time. */

type WorldCommand = fc.AsyncCommand<Model, Real>;

/** Runs of the deploy (or rollback) workflow that `ready` accepts, newest first. */
function runsOf(real: Real, workflow: 'deploy' | 'rollback', ready: (run: WorkflowRunView) => boolean): WorkflowRunView[] {
  const file = workflow === 'deploy' ? DEPLOY_WORKFLOW : ROLLBACK_WORKFLOW;
  return real.world.github.runs().filter((r) => r.path.endsWith(file) && ready(r));
}

/**
 * Someone does something to a run on GitHub: to the `pick`-th newest run it makes sense for, as soon as there
 * is one (within their patience). GitHub refusing it changes nothing.
 */
abstract class RunCommand implements WorldCommand {
  constructor(
    readonly workflow: 'deploy' | 'rollback',
    readonly pick: number,
    readonly patienceMs: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const run = await within(this.patienceMs, () => {
      const runs = runsOf(real, this.workflow, (r) => this.ready(real, r));
      return runs[this.pick % Math.max(1, runs.length)];
    });
    if (!run) return void note(real, `${this.toString()}: no such run`);
    try {
      this.act(real, run);
      note(real, `${this.toString()} on run ${run.id} (${run.head_branch}, ${run.status}) done`);
    } catch (error) {
      note(real, `${this.toString()} on run ${run.id} (${run.status}): refused by GitHub: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  /** Whether the run is one this makes sense for. */
  abstract ready(real: Real, run: WorkflowRunView): boolean;
  abstract act(real: Real, run: WorkflowRunView): void;
  protected target(): string {
    return `${this.workflow} run #${this.pick} within ${this.patienceMs} ms`;
  }
  abstract toString(): string;
}

const running = (run: WorkflowRunView) => run.status !== 'completed';

export class CancelRun extends RunCommand {
  ready(_real: Real, run: WorkflowRunView): boolean {
    return running(run);
  }
  act(real: Real, run: WorkflowRunView): void {
    real.world.github.cancelRun(run.id);
  }
  toString(): string {
    return `CancelRun(${this.target()})`;
  }
}

export class RerunRun extends RunCommand {
  constructor(
    workflow: 'deploy' | 'rollback',
    pick: number,
    patienceMs: number,
    readonly failedOnly: boolean,
  ) {
    super(workflow, pick, patienceMs);
  }
  ready(_real: Real, run: WorkflowRunView): boolean {
    return !running(run) && (!this.failedOnly || run.conclusion !== 'success');
  }
  act(real: Real, run: WorkflowRunView): void {
    real.world.github.rerun(run.id, { failedOnly: this.failedOnly, by: GITHUB_REVIEWER });
  }
  toString(): string {
    return `RerunRun(${this.target()}${this.failedOnly ? ', failed jobs only' : ''})`;
  }
}

export class FailJob extends RunCommand {
  constructor(
    pick: number,
    patienceMs: number,
    readonly job: string,
  ) {
    super('deploy', pick, patienceMs);
  }
  ready(real: Real, run: WorkflowRunView): boolean {
    return running(run) && real.world.github.jobs(run.id).some((j) => j.name === this.job && j.status !== 'completed');
  }
  act(real: Real, run: WorkflowRunView): void {
    real.world.github.failJob(run.id, this.job);
  }
  toString(): string {
    return `FailJob(${this.target()}, ${this.job})`;
  }
}

export class DeleteRun extends RunCommand {
  ready(): boolean {
    return true;
  }
  act(real: Real, run: WorkflowRunView): void {
    real.world.github.deleteRun(run.id);
  }
  toString(): string {
    return `DeleteRun(${this.target()})`;
  }
}

/** A required reviewer answers the production environment in GitHub's own UI. */
export class ReviewInGitHubUI extends RunCommand {
  constructor(
    pick: number,
    patienceMs: number,
    readonly state: 'approved' | 'rejected',
  ) {
    super('deploy', pick, patienceMs);
  }
  ready(_real: Real, run: WorkflowRunView): boolean {
    return run.status === 'waiting';
  }
  act(real: Real, run: WorkflowRunView): void {
    real.world.github.reviewAs(run.id, GITHUB_REVIEWER, this.state, this.state === 'approved' ? 'ship it (model)' : 'not on a Friday (model)');
  }
  toString(): string {
    return `${this.state === 'approved' ? 'Approve' : 'Reject'}InGitHubUI(${this.target()})`;
  }
}

/** GitHub answers every request with 503, or its secondary rate limit, for a while; commands go on meanwhile. */
export class GitHubOutage implements WorldCommand {
  constructor(
    readonly ms: number,
    readonly answer: 503 | 502 | 429,
  ) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    clearTimeout(real.outageTimer);
    real.world.github.outage(this.answer === 429 ? { status: 429, retryAfterSeconds: 30 } : { status: this.answer });
    note(real, `GitHub down (${this.answer}) for ${this.ms} ms`);
    real.outageTimer = setTimeout(() => {
      real.world.github.outage(false);
      note(real, 'GitHub back');
    }, this.ms);
  }
  toString(): string {
    return `GitHubOutage(${this.ms} ms, ${this.answer})`;
  }
}

const LOSABLE = {
  'rollback dispatch': /\/actions\/workflows\/rollback\.yml\/dispatches$/,
  'deployment review': /\/actions\/runs\/\d+\/pending_deployments$/,
  'tag creation': /\/git\/refs$/,
  'run cancellation': /\/actions\/runs\/\d+\/cancel$/,
  'release publication': /\/releases$/,
};

/** GitHub does the next such request, but its answer is lost (a 502 after processing). */
export class LoseGitHubAnswer implements WorldCommand {
  constructor(readonly request: keyof typeof LOSABLE) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    real.world.github.failNext('POST', LOSABLE[this.request], 502, 1, { afterProcessing: true });
    note(real, `the answer to the next ${this.request} will be lost`);
  }
  toString(): string {
    return `LoseGitHubAnswer(${this.request})`;
  }
}

/** Runs appear in GitHub's listings this long after they are created (dispatched runs that appear late). */
export class SlowRunListing implements WorldCommand {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    real.world.github.setRunListingDelay(this.ms);
    note(real, `runs listed ${this.ms} ms after they start`);
  }
  toString(): string {
    return `SlowRunListing(${this.ms} ms)`;
  }
}

export class DatadogState implements WorldCommand {
  constructor(readonly health: 'healthy' | 'breach' | 'no-data' | 'down') {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    setDatadog(real.world, this.health);
    note(real, `Datadog: ${this.health}`);
  }
  toString(): string {
    return `DatadogState(${this.health})`;
  }
}

/** tminus stops (finishing what it is doing) and starts again; with `flush`, Redis lost its data meanwhile. */
export class RestartBot implements WorldCommand {
  constructor(readonly flush: boolean) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    await real.bot.stop();
    if (this.flush) await deleteQueueKeys(real.world.redisUrl, real.world.queuePrefix);
    // The same policy as at the start: a gated world stays gated after a restart.
    ({ bot: real.bot, hook: real.hook } = await startModelBot(real.world, real.settings));
    note(real, `tminus restarted${this.flush ? ' after a Redis flush' : ''}`);
    // The restarted process reads Postgres first; nothing to wait for but its port.
    await waitFor('tminus to answer', () => fetch(`${real.bot.baseUrl}/healthz`).then((r) => r.ok), 10_000);
  }
  toString(): string {
    return `RestartBot(${this.flush ? 'Redis flushed' : 'Redis kept'})`;
  }
}

/** CI on the head of main turns green, red, running or shows no check at all (a push whose CI did not start). */
export class CiOnHead implements WorldCommand {
  constructor(readonly state: CiState) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const head = real.world.github.headOf('main')!;
    const runs = { green: [{ name: 'test' }], red: [{ name: 'test', conclusion: 'failure' }], running: [{ name: 'test', status: 'in_progress' as const, conclusion: null }], none: [] }[this.state];
    real.ci.push({ sha: head, state: this.state, at: Date.now() });
    real.world.github.setCheckRuns(head, runs);
    note(real, `CI on main @ ${head.slice(0, 7)} is ${this.state}`);
  }
  toString(): string {
    return `CiOnHead(${this.state})`;
  }
}

export class Wait implements WorldCommand {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    note(real, `wait ${this.ms} ms`);
    await sleep(this.ms);
  }
  toString(): string {
    return `Wait(${this.ms} ms)`;
  }
}

const runPick = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(4) });
const workflow = fc.oneof({ weight: 4, arbitrary: fc.constant('deploy' as const) }, { weight: 1, arbitrary: fc.constant('rollback' as const) });
const patience = fc.integer({ min: 0, max: 8_000 });

export const worldCommands = {
  cancel: fc.tuple(workflow, runPick, patience).map(([w, p, t]): WorldCommand => new CancelRun(w, p, t)),
  rerun: fc.tuple(workflow, runPick, patience, fc.boolean()).map(([w, p, t, failedOnly]): WorldCommand => new RerunRun(w, p, t, failedOnly)),
  failJob: fc.tuple(runPick, patience, fc.constantFrom(...DEPLOY_JOBS)).map(([p, t, job]): WorldCommand => new FailJob(p, t, job)),
  deleteRun: fc.tuple(workflow, runPick, patience).map(([w, p, t]): WorldCommand => new DeleteRun(w, p, t)),
  review: fc.tuple(runPick, patience, fc.constantFrom('approved' as const, 'approved' as const, 'rejected' as const)).map(([p, t, state]): WorldCommand => new ReviewInGitHubUI(p, t, state)),
  outage: fc.tuple(fc.integer({ min: 500, max: 4_000 }), fc.constantFrom(503 as const, 502 as const, 429 as const)).map(([ms, answer]): WorldCommand => new GitHubOutage(ms, answer)),
  loseAnswer: fc.constantFrom(...(Object.keys(LOSABLE) as (keyof typeof LOSABLE)[])).map((request): WorldCommand => new LoseGitHubAnswer(request)),
  slowListing: fc.integer({ min: 0, max: 3_000 }).map((ms): WorldCommand => new SlowRunListing(ms)),
  datadog: fc.constantFrom('healthy' as const, 'breach' as const, 'no-data' as const, 'down' as const).map((health): WorldCommand => new DatadogState(health)),
  restart: fc.boolean().map((flush): WorldCommand => new RestartBot(flush)),
  wait: fc.integer({ min: 100, max: 5_000 }).map((ms): WorldCommand => new Wait(ms)),
  ci: fc.constantFrom('green' as const, 'red' as const, 'red' as const, 'running' as const, 'none' as const).map((state): WorldCommand => new CiOnHead(state)),
};
