import type { Extras } from './api.js';
import type { CommitCi } from './ci-views.js';
import type { IssuesSnapshot } from './issues.js';
import type { PullRecord } from './pulls.js';
import type { Repository, RepositorySnapshot } from './repository.js';
import type { DispatchRecord } from './types.js';
import type { Workflows, WorkflowsSnapshot } from './workflows.js';

/** What world-store.ts keeps of the GitHub stand-in: everything a restart must find as it was (plain data). */
export interface GitHubSnapshot {
  createdAt: number;
  repository: RepositorySnapshot;
  workflows: WorkflowsSnapshot;
  dispatches: DispatchRecord[];
  pulls: PullRecord[];
  issues: IssuesSnapshot;
  ci: CommitCi;
}

/** The stand-in's models, as it holds them. */
export interface GitHubParts {
  repository: Repository;
  workflows: Workflows;
  extras: Extras;
  ci: CommitCi;
}

export function snapshotOf(parts: GitHubParts, createdAt: number): GitHubSnapshot {
  const { repository, workflows, extras, ci } = parts;
  return {
    createdAt,
    repository: repository.snapshot(),
    workflows: workflows.snapshot(),
    dispatches: extras.dispatches.all(),
    pulls: structuredClone(extras.pulls.all()),
    issues: extras.issues.snapshot(),
    ci: structuredClone(ci),
  };
}

export function restoreParts(parts: GitHubParts, snapshot: GitHubSnapshot): void {
  const { repository, workflows, extras, ci } = parts;
  repository.restore(snapshot.repository);
  workflows.restore(snapshot.workflows);
  extras.dispatches.restore(snapshot.dispatches);
  extras.issues.restore(snapshot.issues);
  extras.pulls.restore(snapshot.pulls);
  const kept = structuredClone(snapshot.ci);
  ci.checkRuns.clear();
  for (const [sha, runs] of kept.checkRuns) ci.checkRuns.set(sha, runs);
  ci.statuses.clear();
  for (const [sha, statuses] of kept.statuses) ci.statuses.set(sha, statuses);
  if (kept.everyCommit === undefined) delete ci.everyCommit;
  else ci.everyCommit = kept.everyCommit;
}
