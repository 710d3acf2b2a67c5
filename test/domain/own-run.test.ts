import { describe, expect, it } from 'vitest';
import { isOwnRun, isWorkflowFile, runMismatch, type ExpectedRun, type RunIdentity } from '../../src/domain/own-run.js';

const SHA = 'a'.repeat(40);
const expected: ExpectedRun = { workflow: 'deploy-production.yml', events: ['push'], tag: 'v1.3.0', sha: SHA };
const own: RunIdentity = { workflowPath: '.github/workflows/deploy-production.yml', event: 'push', headBranch: 'v1.3.0', headSha: SHA };

describe('the release’s own run', () => {
  it.each([
    ['its deploy run', {}, undefined],
    ['a lint run on the same tag', { workflowPath: '.github/workflows/lint.yml' }, 'its workflow is .github/workflows/lint.yml, not deploy-production.yml'],
    ['a workflow whose name ends like it', { workflowPath: '.github/workflows/x-deploy-production.yml' }, 'its workflow is'],
    ['a file of that name elsewhere', { workflowPath: 'other/.github/workflows/deploy-production.yml' }, 'its workflow is'],
    ['a dispatch nobody expected', { event: 'workflow_dispatch' }, 'it was started by workflow_dispatch, not push'],
    ['a run for a branch', { headBranch: 'main' }, 'it ran for main, not v1.3.0'],
    ['a run for no ref', { headBranch: null }, 'it ran for no ref, not v1.3.0'],
    ['another commit', { headSha: 'b'.repeat(40) }, 'it ran on bbbbbbb, not the tagged aaaaaaa'],
  ] as const)('%s', (_, change, reason) => {
    const mismatch = runMismatch({ ...own, ...change }, expected);
    if (reason === undefined) expect(mismatch).toBeUndefined();
    else expect(mismatch).toContain(reason);
    expect(isOwnRun({ ...own, ...change }, expected)).toBe(reason === undefined);
  });

  it('a dispatched production run is one when dispatch is what the release expects', () => {
    const dispatched = { ...expected, workflow: 'deploy-prod.yml', events: ['workflow_dispatch'] };
    expect(isOwnRun({ ...own, workflowPath: '.github/workflows/deploy-prod.yml', event: 'workflow_dispatch' }, dispatched)).toBe(true);
    expect(isOwnRun(own, dispatched)).toBe(false);
  });

  it.each([
    ['.github/workflows/deploy-production.yml', 'deploy-production.yml', true],
    ['.github/workflows/deploy-production.yml', '.github/workflows/deploy-production.yml', true],
    ['.github/workflows/deploy-production.yaml', 'deploy-production.yml', false],
    [undefined, 'deploy-production.yml', false],
  ] as const)('%s is the workflow %s: %s', (path, workflow, is) => expect(isWorkflowFile(path, workflow)).toBe(is));
});
