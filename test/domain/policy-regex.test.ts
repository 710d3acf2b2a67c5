import { describe, expect, it } from 'vitest';
import { loadPolicy, PolicyError } from '../../src/domain/policy.js';

const withPattern = (pattern: string) => `deploy:\n  milestones:\n    - { key: images, label: Images, at: 30m, jobPattern: '${pattern}' }\n`;

/**
 * A policy's `jobPattern` runs on every job name GitHub reports: one that backtracks catastrophically
 * (`^(a+)+$` took 10 s on a 29-character name) is refused when the policy loads, naming the key.
 */
describe('policy regexes are checked for catastrophic backtracking when the policy loads', () => {
  it.each(['^(a+)+$', '(x+x+)+y', '^(\\w+\\s?)*$', '(.*a){12}'])('%s is refused, naming the key, at once', (pattern) => {
    const t0 = performance.now();
    let error: unknown;
    try {
      loadPolicy(withPattern(pattern), 'RELEASE_POLICY');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(/^RELEASE_POLICY: deploy\.milestones\[0\]\.jobPattern: .* can take exponential time/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('the default patterns and ordinary ones load', () => {
    expect(() => loadPolicy(undefined, 'RELEASE_POLICY')).not.toThrow();
    for (const pattern of ['build|image|docker', '^deploy-(staging|production)$', 'verif|smoke|post-deploy', 'e2e-\\d+']) {
      expect(() => loadPolicy(withPattern(pattern), 'RELEASE_POLICY')).not.toThrow();
    }
  });

  it('a pattern past 200 characters is refused', () => {
    expect(() => loadPolicy(withPattern(`build${'|x'.repeat(120)}`), 'RELEASE_POLICY')).toThrow(/jobPattern: .* is longer than 200 characters/);
  });
});
