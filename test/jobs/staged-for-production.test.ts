import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/domain/policy.js';
import type { WorkflowJob } from '../../src/domain/milestones.js';
import { awaitsProductionRun, deployProgress } from '../../src/jobs/staged-for-production.js';

const job = (name: string): WorkflowJob => ({
  name,
  status: 'completed',
  conclusion: 'success',
  startedAt: '2026-12-10T14:00:00Z',
  completedAt: '2026-12-10T14:01:00Z',
  url: null,
  steps: [],
});
const environmentMode = loadPolicy('{}', 'test policy');
const dispatchMode = loadPolicy('deploy: { workflow: release.yml }\nproductionApproval: { mode: dispatch }', 'test policy');
const stagingJobs = [job('build-images'), job('deploy-staging')];
const staged = { stagingRunId: 1, stagingRunUrl: 'https://github.example/runs/1', stagingJobs, stagedAt: '2026-12-10T14:02:00Z', workflow: 'deploy-production.yml' };
const states = (progress: { key: string; state: string }[]) => Object.fromEntries(progress.map((m) => [m.key, m.state]));

describe('deployProgress: the milestones of the run tminus follows, and in dispatch mode of both runs', () => {
  it.each([
    ['environment mode: a milestone with no job is absent', environmentMode, { productionDispatch: null, deployRunId: 1 }, stagingJobs, 'absent'],
    ['dispatch mode, the tag run: production is still to come', dispatchMode, { productionDispatch: null, deployRunId: 1 }, stagingJobs, 'pending'],
    ['dispatch mode, at the gate', dispatchMode, { productionDispatch: staged, deployRunId: 1 }, stagingJobs, 'pending'],
  ])('%s', (_name, policy, release, jobs, production) => {
    expect(states(deployProgress(policy, release, jobs))).toMatchObject({ images: 'done', staging: 'done', production, verification: production });
  });

  it('dispatch mode, the production run: the staging run’s milestones stay done beside it', () => {
    const release = { productionDispatch: { ...staged, runId: 2 }, deployRunId: 2 };
    expect(states(deployProgress(dispatchMode, release, [job('deploy-production'), job('verify')]))).toEqual({
      images: 'done',
      staging: 'done',
      production: 'done',
      verification: 'done',
    });
  });

  it('awaitsProductionRun: staged, and its production run not found yet', () => {
    expect(awaitsProductionRun({ productionDispatch: null })).toBe(false);
    expect(awaitsProductionRun({ productionDispatch: staged })).toBe(true);
    expect(awaitsProductionRun({ productionDispatch: { ...staged, runId: 2 } })).toBe(false);
  });
});
