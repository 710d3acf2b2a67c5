import { describe, expect, it } from 'vitest';
import type { MilestoneProgress, MilestoneState } from '../../src/domain/milestones.js';
import {
  productionTouch,
  recordedTouch,
  touchFromMilestones,
  type DeployJobFact,
  type DeploymentFact,
  type ProductionTouchFacts,
} from '../../src/domain/production-touched.js';

const SHA = 'abc1234def5678abc1234def5678abc1234def56';
const JOB_URL = 'https://github.com/acme/shop/actions/runs/1/job/2';

const milestones = (production: MilestoneState): MilestoneProgress[] => [
  { key: 'images', label: 'Images built', expectedAt: 0, state: 'done' },
  { key: 'production', label: 'Deployed to production', expectedAt: 0, state: production },
];
const deployment = (...states: string[]): DeploymentFact => ({
  id: 42,
  sha: SHA,
  ref: 'v1.3.0',
  environment: 'production',
  createdAt: '2026-11-20T10:00:00Z',
  statuses: states.map((state) => ({ state, createdAt: '2026-11-20T10:00:00Z', logUrl: JOB_URL })),
});
const job = (ran: boolean, environment?: string): DeployJobFact => ({ name: 'ship', url: JOB_URL, ran, ...(environment ? { environment } : {}) });
const facts = (over: Partial<ProductionTouchFacts>): ProductionTouchFacts => ({
  environment: 'production',
  sha: SHA,
  deployments: [],
  milestones: milestones('absent'),
  ...over,
});

describe('productionTouch: what GitHub recorded decides, never a job name alone', () => {
  const cases: [string, Partial<ProductionTouchFacts>, 'touched' | 'untouched' | 'unknown', string][] = [
    [
      'a deployment that succeeded, though no job is named like production', { deployments: [deployment('success', 'in_progress', 'queued')] },
      'touched', 'GitHub shows deployment 42 of abc1234 to `production` as `success`',
    ],
    ['a deployment in progress', { deployments: [deployment('in_progress', 'queued')] }, 'touched', 'as `in_progress`'],
    ['a deployment that failed after it ran', { deployments: [deployment('failure', 'in_progress', 'queued')] }, 'touched', 'as `failure`'],
    ['a deployment replaced by a later one (inactive)', { deployments: [deployment('inactive')] }, 'touched', 'as `inactive`'],
    [
      'a deployment that waits for a review', { deployments: [deployment('waiting')], milestones: milestones('pending') },
      'untouched', 'never started (waiting)',
    ],
    ['a deployment only queued', { deployments: [deployment('queued')] }, 'untouched', 'never started (queued)'],
    [
      'rejected: failed without running, its job ran no step', { deployments: [deployment('failure', 'waiting')], jobs: [job(false)] },
      'untouched', 'never started',
    ],
    ['failed without running, but its job ran steps', { deployments: [deployment('failure', 'waiting')], jobs: [job(true)] }, 'touched', 'deployment 42'],
    [
      'failed without running, and nothing says whether its job ran', { deployments: [deployment('error')] },
      'unknown', 'ended `error` without saying whether its job ran',
    ],
    [
      'no deployment, and no production job started', { milestones: milestones('pending') },
      'untouched', 'GitHub shows no deployment of abc1234 to `production`',
    ],
    ['no deployment, no job matches the production milestone', { milestones: milestones('absent') }, 'untouched', 'no deployment'],
    [
      'no deployment, yet the production step ran', { milestones: milestones('failed') },
      'unknown', 'the production step ran, yet GitHub shows no deployment of abc1234 to `production`',
    ],
    [
      'GitHub could not be asked', { deployments: undefined, milestones: milestones('done') },
      'unknown', 'GitHub could not be asked for the deployments of abc1234 to `production`',
    ],
    [
      'GitHub could not be asked, but a job of the environment ran', { deployments: undefined, jobs: [job(true, 'production')] },
      'touched', 'the job `ship` of `production` ran',
    ],
    ['a job of another environment ran', { deployments: [], jobs: [job(true, 'staging')], milestones: milestones('pending') }, 'untouched', 'no deployment'],
    ['nothing was tagged', { sha: null, deployments: undefined }, 'untouched', 'nothing was tagged'],
    [
      'the same commit deployed by another release (its own tag): not this one',
      { tag: 'v1.3.1', deployments: [deployment('success', 'in_progress')], milestones: milestones('pending') },
      'untouched', 'GitHub shows no deployment of v1.3.1 (abc1234) to `production`',
    ],
    ['this release’s own tag', { tag: 'v1.3.0', deployments: [deployment('success', 'in_progress')] }, 'touched', 'of v1.3.0 (abc1234) to `production`'],
    ['a tag given as a full ref', { tag: 'v1.3.0', deployments: [{ ...deployment('in_progress'), ref: 'refs/tags/v1.3.0' }] }, 'touched', 'in_progress'],
  ];
  it.each(cases)('%s', (_name, over, touch, evidence) => {
    const verdict = productionTouch(facts(over));
    expect(verdict.touch).toBe(touch);
    expect(verdict.evidence).toContain(evidence);
  });
});

describe('what the Slack paths may rely on', () => {
  it('a recorded verdict counts only for the run attempt it was read for', () => {
    expect(recordedTouch({ touch: 'untouched', evidence: 'x', attempt: 1 }, 1)).toEqual({ touch: 'untouched', evidence: 'x' });
    expect(recordedTouch({ touch: 'untouched', evidence: 'x', attempt: 1 }, 2)).toBeUndefined();
    expect(recordedTouch({ touch: 'maybe', attempt: 1 }, 1)).toBeUndefined();
    expect(recordedTouch(undefined, 1)).toBeUndefined();
  });

  it.each([
    ['pending', 'untouched'],
    ['skipped', 'untouched'],
    ['running', 'touched'],
    ['failed', 'touched'],
    ['absent', 'unknown'],
  ] as const)('milestones with production %s: %s', (state, touch) => {
    expect(touchFromMilestones(milestones(state))).toBe(touch);
  });
});
