import { githubMarkdown } from './text.js';

/** The comment tminus leaves on GitHub's deployment review: who decided in Slack, and why when it was a rejection. */
export function deploymentReviewComment(decision: { state: 'approved'; approvers: string[] } | { state: 'rejected'; by: string; reason: string | null }): string {
  return decision.state === 'approved'
    ? `Approved in Slack by ${githubMarkdown(decision.approvers.join(', '), 500)} (tminus)`
    : `Rejected in Slack by ${githubMarkdown(decision.by, 100)}: ${githubMarkdown(decision.reason ?? '', 1000)} (tminus)`;
}

/** The body of the coordinated rollback's revert pull request. */
export function revertPullRequestBody(input: { version: string; previous: string; approver: string }): string {
  return (
    `Coordinated rollback of ${githubMarkdown(input.version)}, approved in Slack by ${githubMarkdown(input.approver, 100)} (tminus).\n\n` +
    `This commit restores the tree of ${githubMarkdown(input.previous)} on top of the default branch. Merge it and ship it as the next patch release.`
  );
}
