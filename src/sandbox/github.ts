/** A local GitHub REST stand-in for one repository: see src/sandbox/github/stand-in.ts. */
export { GitHubStandIn } from './github/stand-in.js';
export { GitHubWebhooks } from './github/webhooks.js';
export type { WebhookDelivery, WebhookFilter, WebhookOptions } from './github/webhooks.js';
export type {
  Actor,
  ApprovalView,
  DeploymentReview,
  DeploymentReviewState,
  DeploymentView,
  DispatchRecord,
  EnvironmentView,
  FailNextOptions,
  GitHubStandInOptions,
  JobView,
  OutageOptions,
  PendingDeploymentView,
  RecordedRequest,
  ReleaseView,
  RunConclusion,
  RunStatus,
  StepView,
  WorkflowJobScript,
  WorkflowRunView,
  WorkflowScript,
  WorkflowTrigger,
} from './github/types.js';
export type { FileChanges } from './github/git-data.js';
export type { IssueView } from './github/issues.js';
export type { PullRequestView } from './github/pulls.js';
