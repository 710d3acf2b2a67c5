import { describe, expect, it } from 'vitest';
import { currentStep, firstFailure, milestoneProgress, productionTouched, productionWaitingFor, type MilestoneRule, type WorkflowJob } from '../../src/domain/milestones.js';

const rules: MilestoneRule[] = [
  { key: 'images', label: 'Docker images built', doing: 'Building Docker images', at: 30 * 60_000, jobPattern: 'build|image' },
  { key: 'staging', label: 'Deployed to staging', doing: 'Deploying to staging', at: 45 * 60_000, jobPattern: 'staging' },
  { key: 'production', label: 'Deployed to production', doing: 'Deploying to production', at: 60 * 60_000, jobPattern: 'production' },
  { key: 'verification', label: 'Post-release verification', at: 90 * 60_000, jobPattern: 'verif' },
];

function job(name: string, status: string, conclusion: string | null = null, steps: WorkflowJob['steps'] = []): WorkflowJob {
  const done = status === 'completed';
  return {
    name,
    status,
    conclusion,
    startedAt: status === 'queued' ? null : '2026-11-26T14:00:00Z',
    completedAt: done ? '2026-11-26T14:20:00Z' : null,
    url: `https://github.test/job/${name}`,
    steps,
  };
}

describe('milestone progress from the deploy run', () => {
  it('maps jobs to milestones by their names', () => {
    const progress = milestoneProgress(rules, [
      job('build-images', 'completed', 'success'),
      job('deploy-staging', 'in_progress'),
      job('deploy-production', 'queued'),
      job('verify', 'queued'),
    ]);
    expect(progress.map((m) => m.state)).toEqual(['done', 'running', 'pending', 'pending']);
    expect(progress[0]!.finishedAt?.toISOString()).toBe('2026-11-26T14:20:00.000Z');
    // In the present tense while the step runs; the past-tense label only without a `doing` wording.
    expect(currentStep(progress, { rules })).toBe('Deploying to staging');
    expect(currentStep(progress)).toBe('Deployed to staging');
    expect(productionTouched(progress)).toBe(false);
  });

  it('names the failed job and step', () => {
    const progress = milestoneProgress(rules, [
      job('build-images', 'completed', 'success'),
      job('deploy-staging', 'completed', 'success'),
      job('deploy-production', 'completed', 'failure', [
        { name: 'Create pre-deployment backup', status: 'completed', conclusion: 'success' },
        { name: 'Execute database migrations', status: 'completed', conclusion: 'failure' },
      ]),
      job('verify', 'completed', 'skipped'),
    ]);
    expect(progress.map((m) => m.state)).toEqual(['done', 'done', 'failed', 'skipped']);
    expect(firstFailure(progress)?.failure).toEqual({
      job: 'deploy-production',
      step: 'Execute database migrations',
      url: 'https://github.test/job/deploy-production',
    });
    expect(productionTouched(progress)).toBe(true);
  });

  it('a milestone the workflow has no job for is absent, and several jobs make one milestone', () => {
    const progress = milestoneProgress(rules, [
      job('build admin-portal image', 'completed', 'success'),
      job('build wallet-web image', 'in_progress'),
    ]);
    expect(progress.map((m) => m.state)).toEqual(['running', 'absent', 'absent', 'absent']);
  });

  it('before any job has started, the step is the first milestone', () => {
    const progress = milestoneProgress(rules, [job('build-images', 'queued')]);
    expect(currentStep(progress, { rules })).toBe('Next: Building Docker images (waiting for its job in the deploy run to start)');
  });

  it('a release verifying is running the post-deploy checks, whatever its milestones say', () => {
    const progress = milestoneProgress(rules, [job('build-images', 'completed', 'success'), job('deploy-staging', 'completed', 'success'), job('deploy-production', 'completed', 'success'), job('verify', 'in_progress')]);
    expect(currentStep(progress, { rules, state: 'verifying' })).toBe('Running post-deploy checks');
    expect(currentStep(progress, { rules, state: 'deploying' })).toBe('Post-release verification');
  });

  it('a milestone without a present-tense wording falls back to its label, for policies written before it', () => {
    const progress = milestoneProgress(rules, [job('verify', 'in_progress')]);
    expect(currentStep(progress, { rules })).toBe('Post-release verification');
  });

  describe('while the production gate holds the deploy, the step says what it waits for', () => {
    const staged = () => milestoneProgress(rules, [job('build-images', 'completed', 'success'), job('deploy-staging', 'completed', 'success'), job('deploy-production', 'queued')]);
    const gate = { state: 'open' as const, counted: 0, needed: 2, needs: 'engineering leadership' };

    it.each([
      [gate, 'Waiting for 2 approvals from engineering leadership to deploy to production'],
      [{ ...gate, counted: 1 }, 'Waiting for 1 more approval from engineering leadership to deploy to production'],
      [{ ...gate, counted: 2, checks: { done: 1, total: 4 } }, 'Waiting for the pre-deployment checks (1 of 4 ticked) to deploy to production'],
      [{ ...gate, needs: undefined, checks: { done: 0, total: 3 } }, 'Waiting for 2 approvals and the pre-deployment checks (0 of 3 ticked) to deploy to production'],
      [{ ...gate, state: 'approved' as const, counted: 2 }, "Approved in Slack: waiting for GitHub's required reviewer to release the production deployment"],
      [undefined, 'Waiting for approval to deploy to production'],
    ])('%j', (productionGate, wording) => {
      expect(currentStep(staged(), { rules, state: 'awaiting_production_approval', productionGate })).toBe(wording);
      expect(currentStep(staged(), { rules, state: 'awaiting_production_approval', productionGate })).not.toMatch(/Waiting to start/);
    });

    it('a gate open while staging still deploys does not hide the running step', () => {
      const progress = milestoneProgress(rules, [job('build-images', 'completed', 'success'), job('deploy-staging', 'in_progress'), job('deploy-production', 'queued')]);
      expect(currentStep(progress, { rules, state: 'deploying', productionGate: gate })).toBe('Deploying to staging');
    });

    it('a gate that is decided holds nothing', () => {
      expect(productionWaitingFor({ ...gate, state: 'rejected' }, 'deploying')).toBeUndefined();
      expect(productionWaitingFor({ ...gate, state: 'approved', counted: 2 }, 'deploying')).toBeUndefined();
    });
  });
});
