// The release policy as the Release Management Guide writes it. Every value here is checked by
// policySchema (policy.ts) and can be overridden by RELEASE_POLICY; docs/policy.md explains each key.

const NO_ONE = { users: [], groups: [] };

export const POLICY_DEFAULTS = {
  timezone: 'UTC',
  statusUpdates: {
    // "We'll update this message every 15 minutes."
    interval: '15m',
  },
  deploy: {
    // "Tag push automatically triggers deploy-production.yml"
    workflow: 'deploy-production.yml',
    pollInterval: '15s',
    // While GitHub's webhooks arrive they move the release at once; polling is only the safety net then.
    // The safety net for a lost delivery while webhooks flow: up to 10 minutes late, inside the guide's 15-minute updates.
    pollIntervalWithWebhooks: '10m',
    runAppearTimeout: '10m',
    rerunWindow: '2h',
    rerunPollInterval: '1m',
    milestones: [
      { key: 'images', label: 'Docker images built', doing: 'Building Docker images', at: '30m', jobPattern: 'build|image|docker' },
      { key: 'staging', label: 'Deployed to staging', doing: 'Deploying to staging', at: '45m', jobPattern: 'staging' },
      { key: 'production', label: 'Deployed to production', doing: 'Deploying to production', at: '60m', jobPattern: 'production|prod' },
      { key: 'verification', label: 'Post-release verification', doing: 'Running post-release verification', at: '90m', jobPattern: 'verif|smoke|post-deploy' },
    ],
    completeAt: '90m',
    // T+60 "Post-Deployment Verification": error rate < 0.1 %, p99 < 400 ms, cache hit rate > 90 %.
    postDeployChecks: {
      checks: ['errorRate', 'latencyP99', 'cacheHitRate'],
      window: '5m',
      retryEvery: '1m',
      // T+60 to T+90: the release is complete by T+90 or it is not.
      deadline: '30m',
    },
  },
  releaseTypes: {
    patch: {
      approvers: ['engineeringLead'],
      approvalRule: 'any',
      testing: 'Smoke tests',
      deployment: 'Within 24 hours of merge',
      deployWithin: '24h',
      rollback: 'Always prepared (5-minute recovery)',
      recoveryTime: '5m',
      // "Day 3: Mark release as stable"; the guide's post-release verification goes on to the end of the first week.
      stableAfter: '72h',
      cadence: { kind: 'asNeeded', maxPerWeek: 2 },
    },
    minor: {
      approvers: ['engineeringLeadership'],
      approvalRule: 'any',
      testing: 'Full test suite + E2E tests',
      deployment: 'Within 2 hours of release',
      deployWithin: '2h',
      rollback: 'Tested, automated',
      // The guide's recovery time SLA (< 15 minutes) where the type names no time of its own.
      recoveryTime: '15m',
      stableAfter: '24h',
      cadence: { kind: 'biweekly', weekday: 'thursday', time: '14:00' },
    },
    major: {
      approvers: ['cto', 'vpEng'],
      approvalRule: 'all',
      testing: 'Full suite + load tests + UAT',
      deployment: 'Friday mornings (support coverage)',
      rollback: 'Extensive testing, careful monitoring',
      recoveryTime: '15m',
      // "Post-Release: Monitor 24/7 for 48 hours"
      stableAfter: '48h',
      cadence: { kind: 'quarterly', months: [1, 4, 7, 10], weekday: 'friday', time: '06:00' },
    },
    hotfix: {
      approvers: ['vpEng'],
      approvalRule: 'any',
      testing: 'Minimal (focused on issue)',
      deployment: 'Immediately',
      // No deployWithin: "Immediately" is the hotfix lane itself (deployed on the VP Eng's approval).
      rollback: 'Immediately ready',
      // An emergency rollback's time limit: "Execute within 5 minutes of detection".
      recoveryTime: '5m',
      // A hotfix ships as a patch (v1.2.3 → v1.2.4) and is marked stable like one.
      stableAfter: '72h',
      cadence: { kind: 'onDemand' },
      steps: [
        { key: 'emergencyCall', label: 'Emergency call initiated', within: '15m' },
        { key: 'hotfixTested', label: 'Hotfix developed + tested', within: '30m' },
        { key: 'hotfixApproved', label: 'Hotfix approved by VP Eng', within: '1h' },
      ],
      escalateAfter: '15m',
    },
  },
  productionApproval: {
    // "Manual approval required (2 approvers)"
    approvers: 2,
    roles: ['engineeringLead', 'engineeringLeadership', 'vpEng', 'cto', 'devopsLead', 'qaLead', 'releaseEngineer'],
    environment: 'production',
    // A hotfix deploys "Immediately" on the VP Eng's approval: no two-person production gate.
    appliesTo: ['patch', 'minor', 'major'],
    // GitHub's required reviewers hold the deploy run; `dispatch`: tminus dispatches `workflow` after the approvals.
    mode: 'environment',
    // "T+60: Production Deployment — Automated via GitHub Actions deploy-production.yml"
    workflow: 'deploy-production.yml',
  },
  // How long Slack user-group members are cached when roles are resolved.
  // "Before Every Release": CI green on the commit, the checklists ticked, on the cadence, production guarded.
  readiness: { requiredChecks: [], recheckEvery: '1m', checklists: 'required' },
  // No deploy freeze by default; a team adds its windows (`weekly`) and dates (`from`, `until`).
  freezes: [],
  freezeWhile: { monitors: [], statusPageIncident: false },
  // T+60 "Pre-deployment Checks", ticked in the production gate's message. The guide names no support or
  // release-manager role: the release engineer runs the release (its release manager), the on-call
  // engineer is the support rota tminus knows (map the support team's Slack group to `roles.onCall`).
  preDeploymentChecks: {
    items: [
      // Not any production approver: the two approvals are theirs already; the go/no-go is whoever runs the release, or leadership.
      { key: 'goNoGo', label: 'Final go/no-go decision', roles: ['releaseEngineer', 'engineeringLeadership'] },
      // The release manager, or the engineering lead of the teams whose work ships.
      { key: 'stakeholdersReady', label: 'All stakeholders ready', roles: ['releaseEngineer', 'engineeringLead'] },
      // Support itself (on call), or the release manager on support's word.
      { key: 'supportStandingBy', label: 'Support team standing by', roles: ['onCall', 'releaseEngineer'] },
      // tminus ticks it from Datadog where it can; otherwise whoever watches production: on-call or the DevOps lead.
      { key: 'monitoringActive', label: 'Monitoring active', roles: ['onCall', 'devopsLead'], auto: 'monitors' },
    ],
    monitors: [],
    recheckEvery: '1m',
  },
  roleCacheTtl: '1m',
  roles: {
    engineeringLead: NO_ONE,
    engineeringLeadership: NO_ONE,
    vpEng: NO_ONE,
    cto: NO_ONE,
    devopsLead: NO_ONE,
    qaLead: NO_ONE,
    releaseEngineer: NO_ONE,
    onCall: NO_ONE,
  },
  verification: {
    checks: {
      errorRate: {
        label: 'Error rate', direction: 'below', threshold: 0.1, unit: '%', every: '5m', issue: 'Feature broken',
        query: '100 * sum:trace.web.request.errors{service:{service},env:{env}}.as_count() / sum:trace.web.request.hits{service:{service},env:{env}}.as_count()',
      },
      latencyP99: {
        label: 'Latency p99', direction: 'below', threshold: 400, unit: 'ms', every: '5m', issue: 'Performance issue',
        query: 'p99:trace.web.request{service:{service},env:{env}} * 1000',
      },
      cpu: {
        label: 'CPU', direction: 'below', threshold: 80, unit: '%', every: '5m', issue: 'Performance issue',
        query: 'avg:runtime.node.cpu.total{service:{service},env:{env}} by {host}',
      },
      memory: {
        label: 'Memory', direction: 'below', threshold: 85, unit: '%', every: '5m', issue: 'Performance issue',
        query: '100 * avg:container.memory.usage{service:{service},env:{env}} by {host} / avg:container.memory.limit{service:{service},env:{env}} by {host}',
      },
      cacheHitRate: {
        label: 'Cache hit rate', direction: 'above', threshold: 90, unit: '%', every: '15m', issue: 'Performance issue',
        query: '100 * sum:redis.stats.keyspace_hits{service:{service},env:{env}}.as_count() / (sum:redis.stats.keyspace_hits{service:{service},env:{env}}.as_count() + sum:redis.stats.keyspace_misses{service:{service},env:{env}}.as_count())',
      },
      // "should be normal": the guide gives these no number; pool use below 80 % is tminus's default bound.
      connectionPool: {
        label: 'Database connection pool health', direction: 'below', threshold: 80, unit: '%', every: '15m', issue: 'Performance issue',
        query: 'max:postgresql.percent_usage_connections{service:{service},env:{env}} * 100',
      },
      // "Queue depth (should be normal)": against the same window before the deploy, per queue (RabbitMQ integration).
      queueDepth: {
        label: 'Queue depth', unit: 'messages', every: '15m', issue: 'Performance issue', baselineFactor: 2, baselineMinimum: 100,
        query: 'max:rabbitmq.queue.messages{service:{service},env:{env}} by {rabbitmq_queue}',
      },
      // "Log analysis for warnings/errors": the Logs aggregate API's count, against the same window before the deploy.
      logErrors: {
        label: 'Log analysis for warnings/errors', unit: 'logs', every: '15m', issue: 'Feature broken', baselineFactor: 2, baselineMinimum: 10,
        source: 'logs', query: 'service:{service} env:{env} status:(error OR warn)',
      },
    },
    // A check runs at the slower of its own `every` and its phase's.
    schedule: [
      { label: 'First hour', until: '1h', every: '5m' },
      { label: 'First 24 hours', until: '24h', every: '1h' },
      { label: 'First week', until: '7d', every: '1d' },
    ],
    env: 'prod',
    // Datadog's checks; without Datadog configured, a person confirms (`/release confirm`). Never "complete" unverified by default.
    source: 'datadog',
    criticalErrorRateFactor: 10,
    autoRollback: false,
    retryAfter: '1m',
    graphWindow: '1h',
  },
  rollback: {
    timeLimit: '5m',
    workflow: 'rollback.yml',
    // The guide's Immediate Rollback, step 1, with the versions filled in; `null` in a policy file removes it.
    command: 'docker-compose down && docker-compose -f docker-compose.{previous}.yml up -d',
    pollInterval: '15s',
    runAppearTimeout: '1m',
    // The guide's 5-minute limit plus the recovery time SLA (15 minutes).
    giveUpAfter: '20m',
  },
  decisionMatrix: [
    { severity: 'critical', issue: 'Data loss', action: 'Rollback immediately', timeline: '5m' },
    { severity: 'critical', issue: 'Security vuln', action: 'Rollback or hotfix', timeline: '24h' },
    { severity: 'high', issue: 'Feature broken', action: 'Rollback or hotfix', timeline: '1h' },
    { severity: 'high', issue: 'Performance issue', action: 'Investigate, maybe rollback', timeline: '4h' },
    { severity: 'medium', issue: 'Minor bug', action: 'Patch in next minor', timeline: '2w' },
    { severity: 'low', issue: 'UI issue', action: 'Patch in next minor', timeline: '2w' },
  ],
  checklists: {
    before72h: {
      title: '72 Hours Before Release',
      before: '72h',
      appliesTo: ['minor', 'major'],
      sections: [
        {
          title: 'Code Quality',
          items: [
            'All PRs merged and reviewed',
            'No failing tests in main branch',
            'No linting errors (ESLint, Black, Flake8)',
            'TypeScript compilation passes',
            'npm audit: No critical vulnerabilities',
            'Safety check: No critical vulnerabilities',
            'Code coverage >= 80%',
          ],
        },
        {
          title: 'Documentation',
          items: [
            'Changelog updated',
            'README updated if needed',
            'API documentation current',
            'Migration guide written (if DB changes)',
            'Known issues documented',
          ],
        },
        {
          title: 'Release Branch',
          items: [
            'Release branch created: `release/v[version]`',
            'Version bump commits made',
            'All tests passing on release branch',
            'Security scan passed',
          ],
        },
      ],
    },
    before24h: {
      title: '24 Hours Before Release',
      before: '24h',
      appliesTo: ['minor', 'major'],
      sections: [
        {
          title: 'Final Verification',
          items: [
            'Security audit completed',
            'Performance test results acceptable',
            'Load test results acceptable',
            'Staging deployment test successful',
            'Rollback procedure tested locally',
            'Docker images built (not pushed yet)',
            'All team members notified',
          ],
        },
        {
          title: 'Communication',
          items: [
            'Status page notice drafted',
            'Customer announcement prepared',
            'Slack channels notified',
            'Support team briefed on changes',
            'On-call engineer briefed',
          ],
        },
      ],
    },
    before4h: {
      title: 'Release Day (4 Hours Before)',
      before: '4h',
      appliesTo: ['minor', 'major'],
      sections: [
        {
          title: 'Final Checks',
          items: [
            'Team members present and ready',
            'Deployment credentials verified',
            'Monitoring dashboards open',
            'Slack alerts configured',
            'Rollback commands tested again',
            'Emergency contact numbers available',
          ],
        },
        {
          title: 'Pre-Deployment',
          items: [
            'Last build verification',
            'Docker image signatures verified',
            'Database migration scripts tested',
            'Environment variables confirmed',
            'Zero in-flight deployments',
          ],
        },
      ],
    },
  },
  // Who may do what. `requester`: whoever asked for the release or made the plan; `approvers`: the approvers
  // of the release's type; `productionApprovers`: the production deploy's (`productionApproval.roles`).
  permissions: {
    // Anyone may ask: the type's approval gate, the production gate and the cadence are the control.
    start: 'anyone',
    plan: ['engineeringLead', 'engineeringLeadership', 'releaseEngineer', 'vpEng', 'cto'],
    changePlan: ['requester', 'approvers', 'releaseEngineer'],
    hotfix: ['onCall', 'engineeringLead', 'engineeringLeadership', 'vpEng', 'cto', 'releaseEngineer'],
    abort: ['requester', 'approvers', 'onCall', 'releaseEngineer'],
    // `/release confirm`: the post-deploy checks read by a person when tminus cannot read them.
    confirm: ['productionApprovers', 'onCall'],
    coordinatedRollback: ['onCall', 'approvers', 'productionApprovers'],
    rollback: ['onCall', 'approvers', 'productionApprovers'],
    overrideCadence: ['approvers'],
    // `/release waive`: an approver of the type waives a readiness line (checklists, cadence) with a reason.
    waive: ['approvers'],
    // `/release freeze` and `/release unfreeze`: an ad-hoc deploy freeze, and its end.
    freeze: ['releaseEngineer', 'engineeringLeadership', 'vpEng', 'cto', 'onCall'],
    checklist: ['releaseEngineer', 'qaLead', 'devopsLead', 'engineeringLead', 'engineeringLeadership'],
    rollbackChecklist: ['onCall', 'approvers', 'productionApprovers'],
  },
  communication: {
    // "Pre-Release Announcement (3 days before)"
    announceBefore: '72h',
    // "Blue-Green Deployment (For Major Releases)": the guide promises no downtime for the other types.
    expectedDowntime: { major: 'none expected (blue-green deployment)' },
    howThisAffectsYou: {},
    // "Status page updates": on wherever a status page is configured (STATUSPAGE_API_KEY), off without one.
    statusPage: { enabled: true, componentIds: [], events: ['announcement', 'inProgress', 'complete', 'rollback'] },
  },
  planning: {
    migrationPaths: ['drizzle/', 'migrations/', 'db/migrate/', 'alembic/versions/'],
    labels: {
      features: ['feature', 'enhancement'],
      fixes: ['bug', 'fix'],
      improvements: ['performance', 'improvement', 'documentation', 'docs', 'refactor'],
      breaking: ['breaking', 'breaking-change'],
    },
    enforceCadence: true,
    // About six months: a plan further out is refused.
    horizon: '26w',
    slotTolerance: '2h',
    catchUpGrace: '2h',
    // "Week 1 Wed: Cut release branch", "Week 2 Mon: Code freeze", "Week 2 Tue: Final testing + security scan",
    // release day itself, counted back from the Thursday 14:00 slot.
    minorTimeline: [
      { key: 'branchCut', label: 'Cut the release branch', before: '8d' },
      { key: 'codeFreeze', label: 'Code freeze (bug fixes only)', before: '3d' },
      { key: 'finalTesting', label: 'Final testing + security scan', before: '2d' },
      { key: 'releaseDay', label: 'Release day', before: '6h' },
    ],
  },
} as const;
