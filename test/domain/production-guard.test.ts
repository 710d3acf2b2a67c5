import { describe, expect, it } from 'vitest';
import { productionGuard, type EnvironmentFacts, type WorkflowFacts } from '../../src/domain/production-guard.js';
import type { ReleaseType } from '../../src/domain/version.js';

const policy = (appliesTo: ReleaseType[], environment = 'production', mode: 'environment' | 'dispatch' = 'environment') => ({
  productionApproval: { approvers: 2, roles: ['engineeringLead' as const], environment, appliesTo, mode, workflow: 'deploy-production.yml' },
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
    expect(refuse).toContain('`productionApproval.mode: dispatch`');
  });
});

describe('productionGuard in dispatch mode: tminus holds production, the production workflow must exist', () => {
  const active: WorkflowFacts = { path: '.github/workflows/deploy-production.yml', state: 'active' };
  interface Case {
    name: string;
    appliesTo: ReleaseType[];
    environment: EnvironmentFacts | undefined;
    workflow: WorkflowFacts | undefined;
    type: ReleaseType;
    guarded: boolean;
    how: string;
    refuse?: string;
  }
  const cases: Case[] = [
    {
      name: 'no reviewers anywhere (a private repository on Team): tminus holds it',
      appliesTo: GATED,
      environment: env(),
      workflow: active,
      type: 'minor',
      guarded: true,
      how: 'tminus holds production: the production workflow `deploy-production.yml` is dispatched only after 2 approvals in Slack.',
    },
    {
      name: 'no environment at all: the same',
      appliesTo: GATED,
      environment: undefined,
      workflow: active,
      type: 'major',
      guarded: true,
      how: 'is dispatched only after 2 approvals in Slack.',
    },
    {
      name: 'both layers: reviewers too, answered with the gate’s approvers',
      appliesTo: GATED,
      environment: env({ requiredReviewers: 1 }),
      workflow: active,
      type: 'patch',
      guarded: true,
      how: "; GitHub's `production` environment also asks a review, which tminus answers with the gate's approvers.",
    },
    {
      name: 'the production workflow missing: refused, with what to change',
      appliesTo: GATED,
      environment: env(),
      workflow: undefined,
      type: 'minor',
      guarded: false,
      how: 'GitHub has no such workflow',
      refuse: 'Add `.github/workflows/deploy-production.yml` with a `workflow_dispatch` trigger',
    },
    {
      name: 'missing, for a hotfix too (it is dispatched as well)',
      appliesTo: GATED,
      environment: env(),
      workflow: undefined,
      type: 'hotfix',
      guarded: false,
      how: 'GitHub has no such workflow',
      refuse: '`productionApproval.workflow`',
    },
    {
      name: 'the production workflow disabled',
      appliesTo: GATED,
      environment: env(),
      workflow: { ...active, state: 'disabled_manually' },
      type: 'minor',
      guarded: false,
      how: 'is disabled manually on GitHub',
      refuse: 'Enable the workflow `deploy-production.yml`',
    },
    {
      name: 'a hotfix: no gate, dispatched once the release is approved',
      appliesTo: GATED,
      environment: env(),
      workflow: active,
      type: 'hotfix',
      guarded: false,
      how: 'tminus dispatches the production workflow `deploy-production.yml` once the release is approved.',
    },
  ];
  it.each(cases)('$name', ({ appliesTo, environment, workflow, type, guarded, how, refuse }) => {
    const guard = productionGuard(policy(appliesTo, 'production', 'dispatch'), environment, type, workflow);
    expect(guard.guarded).toBe(guarded);
    expect(guard.how).toContain(how);
    if (refuse === undefined) expect(guard.refuse).toBeUndefined();
    else expect(guard.refuse).toContain(refuse);
  });

  it('environment mode reads no workflow: a missing one changes nothing there', () => {
    expect(productionGuard(policy(GATED), env({ requiredReviewers: 1 }), 'minor', undefined).guarded).toBe(true);
  });
});
