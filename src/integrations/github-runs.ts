import type { RunIdentity } from '../domain/own-run.js';

/** A workflow run as tminus follows it, with what GitHub says of whose it is (see domain/own-run.ts). */
export interface DeployRun extends RunIdentity {
  id: number;
  url: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  /** 1 for the first attempt; each re-run on GitHub adds one. */
  attempt: number;
}

/** The fields of GitHub's workflow run (`GET /actions/runs/{id}`, the run listings) that tminus reads. */
export interface WorkflowRunData {
  id: number;
  html_url: string;
  status: string | null;
  conclusion: string | null;
  created_at: string;
  run_attempt?: number;
  path: string;
  event: string;
  head_branch: string | null;
  head_sha: string;
}

export function toRun(run: WorkflowRunData): DeployRun {
  return {
    id: run.id,
    url: run.html_url,
    status: run.status ?? 'queued',
    conclusion: run.conclusion,
    createdAt: run.created_at,
    attempt: run.run_attempt ?? 1,
    workflowPath: run.path,
    event: run.event,
    headBranch: run.head_branch,
    headSha: run.head_sha,
  };
}
