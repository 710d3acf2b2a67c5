/** A local GitHub REST stand-in for one repository: see src/sandbox/github/stand-in.ts. */
export { GitHubStandIn } from './github/stand-in.js';
export type { RecordedRequest } from './github/stand-in.js';
export type {
  Actor,
  DeploymentReview,
  DeploymentReviewState,
  DeploymentView,
  EnvironmentView,
  GitHubStandInOptions,
  JobView,
  PendingDeploymentView,
  ReleaseView,
  RunConclusion,
  RunStatus,
  StepView,
  WorkflowJobScript,
  WorkflowRunView,
  WorkflowScript,
} from './github/types.js';
