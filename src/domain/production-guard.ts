import type { Policy } from './policy.js';
import type { ReleaseType } from './version.js';

/**
 * How production is guarded: the guide's "manual approval required" holds only if GitHub itself stops the deploy
 * job until someone approves, which it does only for an environment with required reviewers. Pure: it takes
 * the policy and what GitHub says of the environment, and says whether the gate holds and, if not, what to change.
 */

/** GitHub's protection rules of an environment, as tminus reads them. */
export interface EnvironmentFacts {
  name: string;
  /** How many people (or teams) are required reviewers: GitHub waits for one of them. */
  requiredReviewers: number;
  waitTimerMinutes: number;
  /** Rules other than reviewers, wait timer and branch policy: custom deployment protection rules. */
  otherRules: string[];
  branchPolicy?: boolean;
}

export interface ProductionGuard {
  guarded: boolean;
  /** A sentence for a readiness card. */
  how: string;
  /** What to change before a release of this type may start, when the policy's gate would not hold. */
  refuse?: string;
}

/** The production workflow as GitHub lists it (`GET /actions/workflows/{workflow_id}`). */
export interface WorkflowFacts {
  path: string;
  /** `active`, or `disabled_manually`, `disabled_inactivity`, …: GitHub refuses to dispatch a disabled workflow. */
  state: string;
}

const ENTERPRISE_NOTE = 'on a private repository, required reviewers need GitHub Enterprise';
const DISPATCH_WAY = 'or set `productionApproval.mode: dispatch` (tminus dispatches the production workflow only after the approvals, on every GitHub plan)';

/**
 * `environment` is undefined when GitHub has no environment of that name; `workflow` (read in dispatch mode)
 * is undefined when GitHub has no such workflow.
 */
export function productionGuard(
  policy: Pick<Policy, 'productionApproval'>,
  environment: EnvironmentFacts | undefined,
  type: ReleaseType,
  workflow?: WorkflowFacts,
): ProductionGuard {
  const { productionApproval } = policy;
  if (productionApproval.mode === 'dispatch') return dispatchGuard(productionApproval, environment, type, workflow);
  const name = `\`${productionApproval.environment}\``;
  if (!productionApproval.appliesTo.includes(type)) {
    const state = environment && environment.requiredReviewers > 0 ? `; tminus answers GitHub's review of ${name} itself` : '';
    return { guarded: false, how: `The policy asks no production gate for ${type} releases (\`productionApproval.appliesTo\`)${state}.` };
  }
  const ways =
    'name the environment your deploy job uses in `productionApproval.environment`, ' +
    `${DISPATCH_WAY}, or set \`productionApproval.appliesTo: []\` to release without a production gate`;
  if (!environment) {
    return {
      guarded: false,
      how: `GitHub has no ${name} environment: GitHub will not stop the deploy.`,
      refuse: `Create the ${name} environment on GitHub with required reviewers (${ENTERPRISE_NOTE}), ${ways}.`,
    };
  }
  if (environment.requiredReviewers === 0) {
    return {
      guarded: false,
      how: `GitHub's ${name} environment has no required reviewers${extras(environment)}: GitHub will not stop the deploy (${ENTERPRISE_NOTE}).`,
      refuse: `Add required reviewers to GitHub's ${name} environment, tminus's GitHub account among them (${ENTERPRISE_NOTE}), ${ways}.`,
    };
  }
  const n = environment.requiredReviewers;
  return {
    guarded: true,
    how: `GitHub's ${name} environment requires a review by 1 of ${n} required reviewer${n === 1 ? '' : 's'}${extras(environment)}.`,
  };
}

/** The wait timer and custom rules, as a clause. */
function extras(environment: EnvironmentFacts): string {
  const parts: string[] = [];
  if (environment.waitTimerMinutes > 0) parts.push(`a wait timer of ${environment.waitTimerMinutes} minute${environment.waitTimerMinutes === 1 ? '' : 's'}`);
  if (environment.otherRules.length > 0) parts.push(`custom protection rules (${environment.otherRules.join(', ')})`);
  return parts.length === 0 ? '' : `, with ${parts.join(' and ')}`;
}

/**
 * `productionApproval.mode: dispatch`: tminus itself holds production, since the tag's run stops at staging and
 * the production workflow runs only when tminus dispatches it. It must exist on GitHub and be enabled.
 */
function dispatchGuard(
  productionApproval: Policy['productionApproval'],
  environment: EnvironmentFacts | undefined,
  type: ReleaseType,
  workflow: WorkflowFacts | undefined,
): ProductionGuard {
  const file = `\`${productionApproval.workflow}\``;
  if (!workflow) {
    return {
      guarded: false,
      how: `tminus dispatches the production workflow ${file}, but GitHub has no such workflow: production cannot be deployed.`,
      refuse:
        `Add \`.github/workflows/${productionApproval.workflow}\` with a \`workflow_dispatch\` trigger ` +
        '(tminus dispatches it on the tag after the approvals), ' +
        'name your production workflow in `productionApproval.workflow`, or set `productionApproval.mode: environment`.',
    };
  }
  if (workflow.state !== 'active') {
    return {
      guarded: false,
      how: `The production workflow ${file} is ${workflow.state.replace(/_/g, ' ')} on GitHub: GitHub will not run it.`,
      refuse:
        `Enable the workflow ${file} on GitHub (Actions → ${productionApproval.workflow} → Enable workflow), ` +
        'or name another in `productionApproval.workflow`.',
    };
  }
  if (!productionApproval.appliesTo.includes(type)) {
    return {
      guarded: false,
      how:
        `The policy asks no production gate for ${type} releases (\`productionApproval.appliesTo\`): ` +
        `tminus dispatches the production workflow ${file} once the release is approved.`,
    };
  }
  const n = productionApproval.approvers;
  const reviewed =
    environment && environment.requiredReviewers > 0
      ? `; GitHub's \`${productionApproval.environment}\` environment also asks a review, which tminus answers with the gate's approvers`
      : '';
  return {
    guarded: true,
    how: `tminus holds production: the production workflow ${file} is dispatched only after ${n} approval${n === 1 ? '' : 's'} in Slack${reviewed}.`,
  };
}
