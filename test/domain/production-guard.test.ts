import { describe, expect, it } from 'vitest';
import { productionGuard, type EnvironmentFacts } from '../../src/domain/production-guard.js';
import type { ReleaseType } from '../../src/domain/version.js';

const policy = (appliesTo: ReleaseType[], environment = 'production') => ({
  productionApproval: { approvers: 2, roles: ['engineeringLead' as const], environment, appliesTo },
});
const env = (over: Partial<EnvironmentFacts> = {}): EnvironmentFacts => ({
  name: 'production',
  requiredReviewers: 0,
  waitTimerMinutes: 0,
  otherRules: [],
  ...over,
});
const GATED: ReleaseType[] = ['patch', 'minor', 'major'];

describe('productionGuard: the two-person production gate holds only where GitHub stops the deploy', () => {
  interface Case {
    name: string;
    policy: ReturnType<typeof policy>;
    environment: EnvironmentFacts | undefined;
    type: ReleaseType;
    guarded: boolean;
    how: string;
    refuse?: string;
  }
  const cases: Case[] = [
    {
      name: 'reviewers required',
      policy: policy(GATED),
      environment: env({ requiredReviewers: 2 }),
      type: 'minor',
      guarded: true,
      how: "GitHub's `production` environment requires a review by 1 of 2 required reviewers.",
    },
    {
      name: 'one reviewer',
      policy: policy(GATED),
      environment: env({ requiredReviewers: 1 }),
      type: 'patch',
      guarded: true,
      how: 'by 1 of 1 required reviewer.',
    },
    {
      name: 'reviewers and a wait timer and a custom rule',
      policy: policy(GATED),
      environment: env({ requiredReviewers: 3, waitTimerMinutes: 5, otherRules: ['deployment_gate'] }),
      type: 'major',
      guarded: true,
      how: 'with a wait timer of 5 minutes and custom protection rules (deployment_gate)',
    },
    {
      name: 'no reviewers',
      policy: policy(GATED),
      environment: env({ waitTimerMinutes: 1 }),
      type: 'minor',
      guarded: false,
      how:
        "GitHub's `production` environment has no required reviewers, with a wait timer of 1 minute: GitHub will not stop the deploy " +
        '(on a private repository, required reviewers need GitHub Enterprise).',
      refuse: "Add required reviewers to GitHub's `production` environment",
    },
    {
      name: 'no such environment',
      policy: policy(GATED),
      environment: undefined,
      type: 'minor',
      guarded: false,
      how: 'GitHub has no `production` environment: GitHub will not stop the deploy.',
      refuse: 'Create the `production` environment on GitHub with required reviewers',
    },
    {
      name: 'a type the gate leaves out (hotfix)',
      policy: policy(GATED),
      environment: env({ requiredReviewers: 1 }),
      type: 'hotfix',
      guarded: false,
      how: "The policy asks no production gate for hotfix releases (`productionApproval.appliesTo`); tminus answers GitHub's review of `production` itself.",
    },
    {
      name: 'appliesTo: [] said explicitly, no environment',
      policy: policy([]),
      environment: undefined,
      type: 'minor',
      guarded: false,
      how: 'The policy asks no production gate for minor releases (`productionApproval.appliesTo`).',
    },
  ];
  it.each(cases)('$name', ({ policy: p, environment, type, guarded, how, refuse }) => {
    const guard = productionGuard(p, environment, type);
    expect(guard.guarded).toBe(guarded);
    expect(guard.how).toContain(how);
    if (refuse === undefined) expect(guard.refuse).toBeUndefined();
    else expect(guard.refuse).toContain(refuse);
  });

  it('a refusal names every way out: reviewers, the right environment, or no gate', () => {
    const { refuse } = productionGuard(policy(GATED, 'prod'), env({ name: 'prod' }), 'minor');
    expect(refuse).toContain('`prod`');
    expect(refuse).toContain('`productionApproval.environment`');
    expect(refuse).toContain('`productionApproval.appliesTo: []`');
    expect(refuse).toContain('GitHub Enterprise');
  });
});
