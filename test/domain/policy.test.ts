import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy, PolicyError, type Policy } from '../../src/domain/policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function readRepoFile(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
}

function problemsOf(yamlText: string, source?: string): string[] {
  try {
    loadPolicy(yamlText, source);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).message.split('\n');
  }
  throw new Error('expected the policy to be rejected');
}

describe('defaultPolicy is the guide', () => {
  const policy = defaultPolicy();

  it('updates status every 15 minutes, in UTC', () => {
    expect(policy.statusUpdates.interval).toBe(15 * MINUTE);
    expect(policy.timezone).toBe('UTC');
  });

  it('tracks deploy-production.yml through the release-day milestones', () => {
    expect(policy.deploy.workflow).toBe('deploy-production.yml');
    expect(policy.deploy.pollInterval).toBe(15_000);
    expect(policy.deploy.runAppearTimeout).toBe(10 * MINUTE);
    // One ETA everywhere: T+90, deploy.completeAt (the old `deploy.eta` is gone).
    expect(policy.deploy).not.toHaveProperty('eta');
    expect(policy.deploy.milestones.map((m) => m.doing)).toEqual(['Building Docker images', 'Deploying to staging', 'Deploying to production', 'Running post-release verification']);
    expect(policy.deploy.milestones.map((m) => [m.key, m.label, m.at])).toEqual([
      ['images', 'Docker images built', 30 * MINUTE],
      ['staging', 'Deployed to staging', 45 * MINUTE],
      ['production', 'Deployed to production', 60 * MINUTE],
      ['verification', 'Post-release verification', 90 * MINUTE],
    ]);
    expect(policy.deploy.completeAt).toBe(90 * MINUTE);
  });

  it.each([
    ['images', ['build-images', 'Docker build', 'push image'], ['deploy-staging']],
    ['staging', ['deploy-staging', 'Staging'], ['deploy-production']],
    ['production', ['deploy-production', 'Deploy to prod'], ['deploy-staging']],
    ['verification', ['verify', 'Smoke tests', 'post-deploy checks'], ['deploy-production']],
  ])('matches %s jobs by name, ignoring case', (key, matches, misses) => {
    const milestone = policy.deploy.milestones.find((m) => m.key === key);
    const pattern = new RegExp(milestone?.jobPattern ?? '(?!)', 'i');
    for (const name of matches) expect(name).toMatch(pattern);
    for (const name of misses) expect(name).not.toMatch(pattern);
  });

  it('types releases as the guide does', () => {
    const { patch, minor, major, hotfix } = policy.releaseTypes;
    expect([patch.approvers, minor.approvers, major.approvers, hotfix.approvers]).toEqual([
      ['engineeringLead'],
      ['engineeringLeadership'],
      ['cto', 'vpEng'],
      ['vpEng'],
    ]);
    expect(major.approvalRule).toBe('all');
    expect([patch.testing, minor.testing, major.testing, hotfix.testing]).toEqual([
      'Smoke tests',
      'Full test suite + E2E tests',
      'Full suite + load tests + UAT',
      'Minimal (focused on issue)',
    ]);
    expect([patch.deployWithin, minor.deployWithin, major.deployWithin, hotfix.deployWithin]).toEqual([24 * HOUR, 2 * HOUR, undefined, undefined]);
    expect(patch.recoveryTime).toBe(5 * MINUTE);
    expect([patch.stableAfter, minor.stableAfter, major.stableAfter]).toEqual([72 * HOUR, 24 * HOUR, 48 * HOUR]);
  });

  it('releases patches at most twice a week, minors on Thursdays at 14:00, majors quarterly on Fridays at 06:00', () => {
    expect(policy.releaseTypes.patch.cadence).toEqual({ kind: 'asNeeded', maxPerWeek: 2 });
    expect(policy.releaseTypes.minor.cadence).toEqual({ kind: 'biweekly', weekday: 'thursday', time: '14:00' });
    expect(policy.releaseTypes.major.cadence).toEqual({ kind: 'quarterly', months: [1, 4, 7, 10], weekday: 'friday', time: '06:00' });
    expect(policy.releaseTypes.hotfix.cadence).toEqual({ kind: 'onDemand' });
  });

  it('times a hotfix from detection', () => {
    expect(policy.releaseTypes.hotfix.steps.map((step) => [step.key, step.label, step.within])).toEqual([
      ['emergencyCall', 'Emergency call initiated', 15 * MINUTE],
      ['hotfixTested', 'Hotfix developed + tested', 30 * MINUTE],
      ['hotfixApproved', 'Hotfix approved by VP Eng', HOUR],
    ]);
  });

  it('needs 2 production approvers and names no one in any role', () => {
    expect(policy.productionApproval.approvers).toBe(2);
    // GitHub's required reviewers hold production unless the policy says tminus dispatches deploy-production.yml.
    expect(policy.productionApproval).toMatchObject({ mode: 'environment', workflow: 'deploy-production.yml' });
    expect(loadPolicy('deploy: { workflow: release.yml }\nproductionApproval: { mode: dispatch }').productionApproval.mode).toBe('dispatch');
    expect(Object.keys(policy.roles)).toEqual([
      'engineeringLead',
      'engineeringLeadership',
      'vpEng',
      'cto',
      'devopsLead',
      'qaLead',
      'releaseEngineer',
      'onCall',
    ]);
    for (const role of Object.values(policy.roles)) expect(role).toEqual({ users: [], groups: [] });
  });

  it('verifies with the guide thresholds', () => {
    const { checks, schedule } = policy.verification;
    expect(checks.errorRate).toMatchObject({ direction: 'below', threshold: 0.1, unit: '%', every: 5 * MINUTE });
    expect(checks.latencyP99).toMatchObject({ direction: 'below', threshold: 400, unit: 'ms', every: 5 * MINUTE });
    expect(checks.cpu).toMatchObject({ direction: 'below', threshold: 80, unit: '%', every: 5 * MINUTE });
    expect(checks.memory).toMatchObject({ direction: 'below', threshold: 85, unit: '%', every: 5 * MINUTE });
    expect(checks.cacheHitRate).toMatchObject({ direction: 'above', threshold: 90, unit: '%', every: 15 * MINUTE });
    // The guide gives the pool no number ("healthy"): tminus's bound is 80 % in use.
    expect(checks.connectionPool).toMatchObject({ direction: 'below', threshold: 80, every: 15 * MINUTE });
    // "Should be normal": judged against the same window before the deploy, not a fixed number.
    for (const check of [checks.queueDepth, checks.logErrors]) {
      expect(check).toMatchObject({ every: 15 * MINUTE, baselineFactor: 2 });
      expect(check.threshold).toBeUndefined();
    }
    expect(checks.queueDepth).toMatchObject({ query: 'max:rabbitmq.queue.messages{service:{service},env:{env}} by {rabbitmq_queue}', baselineMinimum: 100 });
    expect(checks.logErrors).toMatchObject({ source: 'logs', query: 'service:{service} env:{env} status:(error OR warn)', baselineMinimum: 10 });
    expect(policy.verification).toMatchObject({ env: 'prod', criticalErrorRateFactor: 10, autoRollback: false, source: 'datadog' });
    expect(loadPolicy('verification:\n  source: manual').verification.source).toBe('manual');
    expect(loadPolicy('verification:\n  source: none').verification.source).toBe('none');
    expect(schedule.map((phase) => [phase.until, phase.every])).toEqual([
      [HOUR, 5 * MINUTE],
      [24 * HOUR, HOUR],
      [7 * DAY, DAY],
    ]);
  });

  it('rolls back within 5 minutes and recovers within 15; keeps trying through an outage for both', () => {
    expect(policy.rollback).toEqual({
      timeLimit: 5 * MINUTE,
      workflow: 'rollback.yml',
      command: 'docker-compose down && docker-compose -f docker-compose.{previous}.yml up -d',
      pollInterval: 15_000,
      runAppearTimeout: MINUTE,
      giveUpAfter: 20 * MINUTE,
    });
    // The guide's 5 minutes to execute plus the recovery time SLA (< 15 minutes) of minors and majors.
    expect(policy.rollback.giveUpAfter).toBe(policy.rollback.timeLimit + policy.releaseTypes.minor.recoveryTime);
  });

  it('carries the decision matrix row by row', () => {
    expect(policy.decisionMatrix).toEqual([
      { severity: 'critical', issue: 'Data loss', action: 'Rollback immediately', timeline: 5 * MINUTE },
      { severity: 'critical', issue: 'Security vuln', action: 'Rollback or hotfix', timeline: 24 * HOUR },
      { severity: 'high', issue: 'Feature broken', action: 'Rollback or hotfix', timeline: HOUR },
      { severity: 'high', issue: 'Performance issue', action: 'Investigate, maybe rollback', timeline: 4 * HOUR },
      { severity: 'medium', issue: 'Minor bug', action: 'Patch in next minor', timeline: 14 * DAY },
      { severity: 'low', issue: 'UI issue', action: 'Patch in next minor', timeline: 14 * DAY },
    ]);
  });

  it('holds the 72h, 24h and 4h checklists with the guide items', () => {
    const { before72h, before24h, before4h } = policy.checklists;
    expect([before72h.before, before24h.before, before4h.before]).toEqual([72 * HOUR, 24 * HOUR, 4 * HOUR]);
    expect(before72h.sections.map((s) => [s.title, s.items.length])).toEqual([
      ['Code Quality', 7],
      ['Documentation', 5],
      ['Release Branch', 4],
    ]);
    expect(before24h.sections.map((s) => [s.title, s.items.length])).toEqual([
      ['Final Verification', 7],
      ['Communication', 5],
    ]);
    expect(before4h.sections.map((s) => [s.title, s.items.length])).toEqual([
      ['Final Checks', 6],
      ['Pre-Deployment', 5],
    ]);
    expect(before72h.sections[0]?.items).toContain('Code coverage >= 80%');
    expect(before72h.sections[2]?.items[0]).toBe('Release branch created: `release/v[version]`');
    expect(before4h.sections[1]?.items.at(-1)).toBe('Zero in-flight deployments');
  });

  it('has no status page or support contact unless configured', () => {
    // Blue-green, so no downtime, is the guide's word for majors only; nothing is claimed for the other types.
    expect(policy.communication).toEqual({
      announceBefore: 72 * HOUR,
      expectedDowntime: { major: 'none expected (blue-green deployment)' },
      howThisAffectsYou: {},
      // On, but inert until STATUSPAGE_API_KEY names a page.
      statusPage: { enabled: true, componentIds: [], events: ['announcement', 'inProgress', 'complete', 'rollback'] },
    });
  });

  it('is a fresh object each time', () => {
    const first = defaultPolicy();
    first.deploy.milestones.pop();
    first.roles.cto.users.push('U0123ABCD');
    expect(defaultPolicy()).toEqual(policy);
  });
});

describe('loadPolicy', () => {
  it.each([undefined, '', '# nothing changed\n', '{}'])('gives the defaults for %j', (yamlText) => {
    expect(loadPolicy(yamlText)).toEqual(defaultPolicy());
  });

  it.each<[string, string, (policy: Policy) => void]>([
    ['statusUpdates:\n  interval: 5m', 'the status update interval', (p) => void (p.statusUpdates.interval = 5 * MINUTE)],
    ['deploy:\n  workflow: release.yml', 'the deploy workflow', (p) => void (p.deploy.workflow = 'release.yml')],
    ['releaseTypes:\n  minor:\n    cadence:\n      time: "15:00"', 'one cadence field', (p) => {
      p.releaseTypes.minor.cadence = { kind: 'biweekly', weekday: 'thursday', time: '15:00' };
    }],
    ['releaseTypes:\n  patch:\n    cadence: { kind: onDemand }', 'a cadence of another kind, whole', (p) => {
      p.releaseTypes.patch.cadence = { kind: 'onDemand' };
    }],
    ['releaseTypes:\n  major:\n    approvers: [cto]', 'a list, replaced', (p) => void (p.releaseTypes.major.approvers = ['cto'])],
    ['rollback:\n  command: ./rollback.sh {previous}', 'the rollback command', (p) => void (p.rollback.command = './rollback.sh {previous}')],
    ['releaseTypes:\n  minor:\n    deployWithin: null', 'an optional key, removed by null', (p) => void delete p.releaseTypes.minor.deployWithin],
    ['roles:\n  cto:\n    users: [U0123ABCD]\n    groups: ["@leads"]', 'one role', (p) => void (p.roles.cto = { users: ['U0123ABCD'], groups: ['leads'] })],
    ['verification:\n  checks:\n    queueDepth: { direction: below, threshold: 1000, baselineFactor: null, baselineMinimum: null }', 'a check given a threshold instead of its baseline', (p) => {
      const { baselineFactor: _f, baselineMinimum: _m, ...queueDepth } = p.verification.checks.queueDepth;
      p.verification.checks.queueDepth = { ...queueDepth, direction: 'below', threshold: 1000 };
    }],
    ['freezes:\n  - { reason: Year-end freeze, from: 2026-12-21, until: "2027-01-04T09:00" }\n  - { reason: Friday afternoons, weekly: { days: [friday], from: "16:00", until: "09:00" }, appliesTo: [minor, major, hotfix] }', 'the deploy freezes', (p) => {
      p.freezes = [
        { reason: 'Year-end freeze', from: '2026-12-21', until: '2027-01-04T09:00', appliesTo: ['patch', 'minor', 'major'] },
        { reason: 'Friday afternoons', weekly: { days: ['friday'], from: '16:00', until: '09:00' }, appliesTo: ['minor', 'major', 'hotfix'] },
      ];
    }],
    ['freezeWhile:\n  monitors: [Checkout error rate]\n  statusPageIncident: true', 'the automatic freezes', (p) => void (p.freezeWhile = { monitors: ['Checkout error rate'], statusPageIncident: true })],
    ['productionApproval:\n  approvers: 1\ncommunication:\n  supportContact: help@example.com', 'two branches', (p) => {
      p.productionApproval.approvers = 1;
      p.communication.supportContact = 'help@example.com';
    }],
  ])('%j changes only %s', (yamlText, _what, change) => {
    const expected = defaultPolicy();
    change(expected);
    expect(loadPolicy(yamlText)).toEqual(expected);
  });

  it.each([
    ['statusUpdates:\n  interval: 15 minutes', ['RELEASE_POLICY: statusUpdates.interval: "15 minutes" is not a duration like 15m, 90s, 24h']],
    ['statusUpdates:\n  intervall: 5m', ['RELEASE_POLICY: statusUpdates.intervall: unknown key (expected one of: interval)']],
    ['statusUpdate:\n  interval: 5m', [expect.stringMatching(/^RELEASE_POLICY: statusUpdate: unknown key \(expected one of: timezone, statusUpdates, /)]],
    ['productionApproval:\n  approvers: two', ['RELEASE_POLICY: productionApproval.approvers: expected a number, got "two"']],
    ['productionApproval:\n  approvers: 0', ['RELEASE_POLICY: productionApproval.approvers: must be at least 1']],
    ['productionApproval: 2', ['RELEASE_POLICY: productionApproval: expected a mapping, got 2']],
    ['deploy:\n  milestones:\n    - { key: images, label: Images, at: 30m, jobPattern: "(build" }', [
      expect.stringMatching(/^RELEASE_POLICY: deploy\.milestones\[0\]\.jobPattern: "\(build" is not a valid regular expression: /),
    ]],
    ['deploy:\n  milestones:\n    - { key: images, at: 30m, jobPattern: build }\n    - { key: imagez, label: x, at: 1h, jobPattern: x }', [
      'RELEASE_POLICY: deploy.milestones[0].label: is missing: expected text',
      'RELEASE_POLICY: deploy.milestones[1].key: "imagez" is not one of images, staging, production, verification',
    ]],
    ['deploy:\n  milestones:\n    - { key: staging, label: S, at: 45m, jobPattern: staging }\n    - { key: images, label: I, at: 30m, jobPattern: build }', [
      "RELEASE_POLICY: deploy.milestones[1].at: comes before the previous entry's at: keep the list in order",
    ]],
    ['releaseTypes:\n  hotfix:\n    steps:\n      - { key: emergencyCall, label: Call, within: 15m }\n      - { key: emergencyCall, label: Again, within: 20m }', [
      'RELEASE_POLICY: releaseTypes.hotfix.steps[1].key: "emergencyCall" appears twice',
    ]],
    ['deploy:\n  completeAt: 60m', ['RELEASE_POLICY: deploy.completeAt: is before the last milestone (verification)']],
    ['timezone: Mars/Olympus', ['RELEASE_POLICY: timezone: "Mars/Olympus" is not a time zone like UTC or Europe/London']],
    ['releaseTypes:\n  patch:\n    cadence: { kind: weekly }', [
      'RELEASE_POLICY: releaseTypes.patch.cadence.kind: "weekly" is not a cadence kind: use asNeeded, biweekly, quarterly or onDemand',
    ]],
    ['releaseTypes:\n  minor:\n    cadence: { weekday: thurs, time: 2pm }', [
      'RELEASE_POLICY: releaseTypes.minor.cadence.weekday: "thurs" is not one of monday, tuesday, wednesday, thursday, friday, saturday, sunday',
      'RELEASE_POLICY: releaseTypes.minor.cadence.time: "2pm" is not a time like 14:00',
    ]],
    ['releaseTypes:\n  minor:\n    cadence: { anchor: 2025-01-22 }', ['RELEASE_POLICY: releaseTypes.minor.cadence.anchor: 2025-01-22 is not a thursday']],
    ['releaseTypes:\n  major:\n    approvers: [cto, ceo]\n    cadence: { months: [1, 13] }', [
      'RELEASE_POLICY: releaseTypes.major.approvers[1]: "ceo" is not one of engineeringLead, engineeringLeadership, vpEng, cto, devopsLead, qaLead, releaseEngineer, onCall',
      'RELEASE_POLICY: releaseTypes.major.cadence.months[1]: must be at most 12',
    ]],
    ['releaseTypes:\n  patch:\n    steps: []', [expect.stringMatching(/^RELEASE_POLICY: releaseTypes\.patch\.steps: unknown key/)]],
    ['roles:\n  cto:\n    users: [john]', ['RELEASE_POLICY: roles.cto.users[0]: "john" is not a Slack user id like U0123ABCD']],
    ['roles:\n  ceo:\n    users: []', [expect.stringMatching(/^RELEASE_POLICY: roles\.ceo: unknown key/)]],
    ['verification:\n  checks:\n    cpu: { direction: null }', [
      'RELEASE_POLICY: verification.checks.cpu.direction: direction and threshold go together: set both or neither',
    ]],
    ['verification:\n  checks:\n    queueDepth: { direction: below, threshold: 100 }', [
      'RELEASE_POLICY: verification.checks.queueDepth.baselineFactor: a check is judged by a threshold or against its baseline, not both: remove one',
    ]],
    ['verification:\n  source: datadgo', ['RELEASE_POLICY: verification.source: "datadgo" is not one of datadog, manual, none']],
    ['verification:\n  source: false', ['RELEASE_POLICY: verification.source: false is not one of datadog, manual, none']],
    ['decisionMatrix:\n  - { severity: urgent, issue: x, action: y, timeline: soon }', [
      'RELEASE_POLICY: decisionMatrix[0].severity: "urgent" is not one of critical, high, medium, low',
      'RELEASE_POLICY: decisionMatrix[0].timeline: "soon" is not a duration like 15m, 90s, 24h',
    ]],
    ['checklists:\n  before4h:\n    sections: []', ['RELEASE_POLICY: checklists.before4h.sections: needs at least 1 entry']],
    ['communication:\n  statusPageUrl: ftp://status\n  supportContact: ""', [
      'RELEASE_POLICY: communication.statusPageUrl: "ftp://status" is not an http(s) URL',
      'RELEASE_POLICY: communication.supportContact: must not be empty',
    ]],
    ['freezes:\n  - { reason: Holidays, from: 2026-12-24, until: 2026-12-20 }', ['RELEASE_POLICY: freezes[0].until: 2026-12-20 is not after from (2026-12-24): until is when the freeze ends']],
    ['freezes:\n  - { reason: Holidays, from: 2026-02-30, until: "2026-03-02T25:00" }', [
      'RELEASE_POLICY: freezes[0].from: "2026-02-30" is not a date like 2026-12-24 or a date and time like 2026-12-24T17:00',
      'RELEASE_POLICY: freezes[0].until: "2026-03-02T25:00" is not a date like 2026-12-24 or a date and time like 2026-12-24T17:00',
    ]],
    ['freezes:\n  - { reason: Fridays, weekly: { days: [fri], from: 4pm, until: "16:00" } }', [
      'RELEASE_POLICY: freezes[0].weekly.days[0]: "fri" is not one of monday, tuesday, wednesday, thursday, friday, saturday, sunday',
      'RELEASE_POLICY: freezes[0].weekly.from: "4pm" is not a time like 14:00',
    ]],
    ['freezes:\n  - { reason: Fridays, weekly: { days: [friday], from: "16:00", until: "16:00" } }', ['RELEASE_POLICY: freezes[0].weekly.until: is the same as from (16:00): the window would be empty']],
    ['freezes:\n  - { reason: Holidays, from: 2026-12-24 }', ['RELEASE_POLICY: freezes[0].until: is missing: a one-off freeze has from and until (or give weekly)']],
    ['freezes:\n  - { reason: Both, from: 2026-12-24, until: 2026-12-26, weekly: { days: [friday], from: "16:00", until: "18:00" } }', ['RELEASE_POLICY: freezes[0].weekly: a freeze is one-off (from, until) or weekly, not both']],
    ['freezes:\n  - { reason: "", from: 2026-12-24, until: 2026-12-26, appliesTo: [hotfixes] }', [
      'RELEASE_POLICY: freezes[0].reason: must not be empty',
      'RELEASE_POLICY: freezes[0].appliesTo[0]: "hotfixes" is not one of patch, minor, major, hotfix',
    ]],
    ['freezeWhile:\n  monitors: Checkout\n  statuspageIncident: true', [
      'RELEASE_POLICY: freezeWhile.monitors: expected a list, got "Checkout"',
      'RELEASE_POLICY: freezeWhile.statuspageIncident: unknown key (expected one of: monitors, statusPageIncident)',
    ]],
    ['__proto__:\n  polluted: true', [expect.stringMatching(/^RELEASE_POLICY: __proto__: unknown key/)]],
    ['statusUpdates:\n  interval: [5m', [expect.stringMatching(/^RELEASE_POLICY: invalid YAML: .* at line \d+, column \d+$/)]],
    ['timezone: UTC\ntimezone: UTC', ['RELEASE_POLICY: invalid YAML: Map keys must be unique at line 2, column 1']],
    ['- statusUpdates', ['RELEASE_POLICY: expected a mapping of policy keys, got a list']],
    ['productionApproval:\n  mode: github', ['RELEASE_POLICY: productionApproval.mode: "github" is not one of environment, dispatch']],
    ['productionApproval:\n  mode: dispatch', [
      'RELEASE_POLICY: productionApproval.workflow: is also `deploy.workflow` ("deploy-production.yml"): in dispatch mode the tag push runs `deploy.workflow` ' +
        '(build, staging) and tminus dispatches this one after the approvals: name two workflows',
    ]],
  ])('rejects %j, naming each bad path', (yamlText, lines) => {
    expect(problemsOf(yamlText)).toEqual(lines);
  });

  it('names the source it was given and lists the problems', () => {
    try {
      loadPolicy('statusUpdates:\n  interval: soon', 'policy.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const policyError = error as PolicyError;
      expect(policyError.message).toBe('policy.yaml: statusUpdates.interval: "soon" is not a duration like 15m, 90s, 24h');
      expect(policyError.source).toBe('policy.yaml');
      expect(policyError.problems).toEqual([{ path: 'statusUpdates.interval', message: '"soon" is not a duration like 15m, 90s, 24h' }]);
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('the policy documents', () => {
  // Per-name mappings are documented once with a placeholder, e.g. `roles.<role>.users`.
  const PLACEHOLDERS: Record<string, string> = {
    releaseTypes: '<type>',
    roles: '<role>',
    'verification.checks': '<check>',
    checklists: '<checklist>',
  };

  function leafKeys(value: unknown, concrete = '', general = ''): { concrete: string; general: string }[] {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
      return leafKeys(value[0], `${concrete}[]`, `${general}[]`);
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([key, child]) =>
        leafKeys(child, concrete ? `${concrete}.${key}` : key, general ? `${general}.${PLACEHOLDERS[general] ?? key}` : key),
      );
    }
    return [{ concrete, general }];
  }

  const doc = readRepoFile('docs/policy.md');
  const keys = leafKeys(defaultPolicy());

  it('walks a plausible number of keys', () => {
    expect(keys.length).toBeGreaterThan(100);
  });

  it.each(keys.map((key) => [key.concrete, key.general]))('docs/policy.md documents %s', (concrete, general) => {
    expect(doc.includes(`\`${concrete}\``) || doc.includes(`\`${general}\``), `${concrete} (or ${general})`).toBe(true);
  });

  it.each(Object.values(PLACEHOLDERS))('docs/policy.md names every %s', (placeholder) => {
    const parent = Object.keys(PLACEHOLDERS).find((key) => PLACEHOLDERS[key] === placeholder) ?? '';
    const names = Object.keys(parent.split('.').reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, defaultPolicy()));
    for (const name of names) expect(doc).toContain(`\`${name}\``);
  });

  it('policy.example.yaml loads and changes what it says', () => {
    const policy = loadPolicy(readRepoFile('policy.example.yaml'), 'policy.example.yaml');
    expect(policy.statusUpdates.interval).toBe(5 * MINUTE);
    expect(policy.deploy.workflow).not.toBe('deploy-production.yml');
    expect(policy.deploy.milestones).toEqual(defaultPolicy().deploy.milestones);
  });

  it('docs/policy.md shows the example file as it is', () => {
    const example = readRepoFile('policy.example.yaml').replace(/^#.*\n/gm, '');
    expect(doc).toContain(example);
  });
});
