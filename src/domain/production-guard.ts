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

const ENTERPRISE_NOTE = 'on a private repository, required reviewers need GitHub Enterprise';

/** `environment` is undefined when GitHub has no environment of that name. */
export function productionGuard(
  policy: Pick<Policy, 'productionApproval'>,
  environment: EnvironmentFacts | undefined,
  type: ReleaseType,
): ProductionGuard {
  const { productionApproval } = policy;
  const name = `\`${productionApproval.environment}\``;
  if (!productionApproval.appliesTo.includes(type)) {
    const state = environment && environment.requiredReviewers > 0 ? `; tminus answers GitHub's review of ${name} itself` : '';
    return { guarded: false, how: `The policy asks no production gate for ${type} releases (\`productionApproval.appliesTo\`)${state}.` };
  }
  const ways =
    'name the environment your deploy job uses in `productionApproval.environment`, ' +
    'or set `productionApproval.appliesTo: []` to release without a production gate';
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
