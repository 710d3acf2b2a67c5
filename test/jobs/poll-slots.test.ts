import { describe, expect, it } from 'vitest';
import { nextPollSlot, pollSlot } from '../../src/jobs/follow-deploy.js';

const start = new Date('2026-11-30T14:00:00Z');
const release = { startedAt: start };
const INTERVAL = 15_000;
const at = (ms: number) => new Date(start.getTime() + ms);

describe('the next look at the deploy run', () => {
  it('at the normal pace, is the next poll-interval slot', () => {
    expect(nextPollSlot(release, at(0), INTERVAL, INTERVAL)).toBe(1);
    expect(nextPollSlot(release, at(16_000), INTERVAL, INTERVAL)).toBe(2);
  });

  it('while webhooks flow, falls on the slower grid: the chain and the reconciler name the same look', () => {
    const every = 10 * 60_000;
    // The chain's look at slot 40 (T+10m) ran a little late and queues the next; the reconciler, any time
    // in the window after it, queues the same one (T+20m, slot 80): one look per 10 minutes, not one per run.
    const chain = Math.max(40 + 1, nextPollSlot(release, at(10 * 60_000 + 700), every, INTERVAL));
    for (const ms of [10 * 60_000 + 1, 12 * 60_000, 19 * 60_000 + 59_000]) expect(nextPollSlot(release, at(ms), every, INTERVAL)).toBe(chain);
    expect(chain).toBe(80);
    // A webhook's read in the middle of the window does not start a second grid.
    const afterEvent = Math.max(pollSlot(release, at(13 * 60_000), INTERVAL) + 1, nextPollSlot(release, at(13 * 60_000), every, INTERVAL));
    expect(afterEvent).toBe(80);
  });

  it('when deliveries stop, is back to the next poll-interval slot', () => {
    expect(nextPollSlot(release, at(13 * 60_000 + 1_000), INTERVAL, INTERVAL)).toBe(53);
  });
});
