import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import type { ReleaseRepository } from '../integrations/github.js';
import type { GateStore } from '../integrations/database/gate-store.js';
import type { ReleaseStore } from '../integrations/database/release-store.js';
import type { RoleDirectory } from '../services/roles.js';
import type { Posts } from '../services/posts.js';
import type { ReleaseJobs } from './queue.js';

/** What every job processor is given: the store, the outside world and the policy. Nothing is global. */
export interface JobContext {
  store: ReleaseStore;
  gates: GateStore;
  roles: RoleDirectory;
  posts: Posts;
  github: ReleaseRepository;
  jobs: ReleaseJobs;
  policy: Policy;
  /** The deploy workflow file: DEPLOY_WORKFLOW when set, else the policy's. */
  deployWorkflow: string;
  releasesChannel: string;
  clock: () => Date;
  log: Logger;
}

/** Keys of everything a release posts, so each is posted once. */
export const postKeys = {
  top: (releaseId: string) => `release-top:${releaseId}`,
  statusUpdate: (releaseId: string, n: number) => `status-update:${releaseId}:${n}`,
  complete: (releaseId: string) => `release-complete:${releaseId}`,
  failed: (releaseId: string) => `release-failed:${releaseId}`,
  githubUnreachable: (releaseId: string, since: Date) => `github-unreachable:${releaseId}:${since.getTime()}`,
  gate: (gateId: string) => `gate:${gateId}`,
  gateDecided: (gateId: string) => `gate-decided:${gateId}`,
  waitingForDeployment: (releaseId: string) => `waiting-for-deployment:${releaseId}`,
  hotfixStep: (releaseId: string, step: string, stage: string) => `hotfix-${stage}:${releaseId}:${step}`,
};
