import { describe, expect, it } from 'vitest';
import { currentStep, firstFailure, milestoneProgress, productionTouched, type MilestoneRule, type WorkflowJob } from '../../src/domain/milestones.js';

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
    expect(currentStep(progress, { rules })).toBe('Waiting to start: Building Docker images');
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
});
