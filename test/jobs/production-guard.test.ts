import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/domain/policy.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { readProductionGuard } from '../../src/jobs/production-guard.js';
import { GitHubStandIn } from '../../src/sandbox/github.js';

let gh: GitHubStandIn;
const policy = loadPolicy('{}', 'test policy');
const log = pino({ level: 'silent' });
const minor = { id: '00000000-0000-4000-8000-000000000001', type: 'minor' as const };

beforeEach(async () => {
  gh = await GitHubStandIn.start({ token: 'ghs_test' });
});

afterEach(async () => {
  await gh.close();
});

/** The real client against the stand-in, as tminus reads GitHub. */
const ctx = () => ({
  github: createReleaseRepository({ token: 'ghs_test', apiUrl: gh.url, owner: gh.owner, repo: gh.repo, throttle: false }),
  policy,
  log,
});

describe('readProductionGuard: how GitHub guards production, read at start', () => {
  it('an environment with required reviewers guards it', async () => {
    gh.protectEnvironment('production', [gh.tokenOwner, 'octocat']);
    expect(await readProductionGuard(ctx(), minor)).toEqual({
      guarded: true,
      how: "GitHub's `production` environment requires a review by 1 of 2 required reviewers.",
    });
  });

  it('an environment without reviewers guards nothing: refused, with what to change', async () => {
    gh.defineEnvironment('production');
    const guard = await readProductionGuard(ctx(), minor);
    expect(guard).toMatchObject({ guarded: false, how: expect.stringContaining('has no required reviewers: GitHub will not stop the deploy') });
    expect(guard.refuse).toContain('Add required reviewers');
  });

  it('a missing environment: refused, naming `productionApproval.environment`', async () => {
    gh.defineEnvironment('prod');
    const guard = await readProductionGuard(ctx(), minor);
    expect(guard).toMatchObject({ guarded: false, how: 'GitHub has no `production` environment: GitHub will not stop the deploy.' });
    expect(guard.refuse).toContain('`productionApproval.environment`');
  });

  it('GitHub unreachable: unknown, and never guarded', async () => {
    gh.protectEnvironment('production', [gh.tokenOwner]);
    gh.outage(true);
    expect(await readProductionGuard(ctx(), minor)).toEqual({
      guarded: false,
      unknown: true,
      how: 'GitHub could not be asked about the `production` environment: tminus cannot tell whether GitHub will stop the deploy.',
    });
  });

  it('a hotfix: the policy asks no production gate, whatever the environment', async () => {
    const guard = await readProductionGuard(ctx(), { ...minor, type: 'hotfix' });
    expect(guard).toEqual({ guarded: false, how: 'The policy asks no production gate for hotfix releases (`productionApproval.appliesTo`).' });
  });
});

describe('readProductionGuard in dispatch mode: tminus holds production, with the workflow GitHub must have', () => {
  const dispatch = loadPolicy('deploy: { workflow: release.yml }\nproductionApproval: { mode: dispatch }', 'test policy');
  const dispatchCtx = () => ({ ...ctx(), policy: dispatch });

  it('the production workflow on GitHub, no reviewers anywhere: guarded by tminus', async () => {
    gh.defineEnvironment('production');
    gh.defineWorkflow('deploy-production.yml', { trigger: 'dispatch', jobs: [{ name: 'deploy-production', durationMs: 100 }] });
    expect(await readProductionGuard(dispatchCtx(), minor)).toEqual({
      guarded: true,
      how: 'tminus holds production: the production workflow `deploy-production.yml` is dispatched only after 2 approvals in Slack.',
    });
    expect(gh.requests.some((r) => r.method === 'GET' && r.path.endsWith('/actions/workflows/deploy-production.yml'))).toBe(true);
  });

  it('no such workflow on GitHub (404): refused, with what to change', async () => {
    const guard = await readProductionGuard(dispatchCtx(), minor);
    expect(guard).toMatchObject({ guarded: false, how: expect.stringContaining('GitHub has no such workflow') });
    expect(guard.refuse).toContain('`productionApproval.workflow`');
  });

  it('GitHub unreachable: unknown, never guarded', async () => {
    gh.outage(true);
    expect(await readProductionGuard(dispatchCtx(), minor)).toMatchObject({ guarded: false, unknown: true });
  });
});
