/**
 * A policy for the guide's post-release watch on a test clock in seconds: the schedule's phases as given, the
 * guide's six checks read every second, missing data read again a second later. Everything a test about the
 * watch does not care about is the guide's default.
 */
export function secondsWatchPolicy(options: { stableAfter: string; schedule: { label: string; until: string; every: string }[] }): string {
  const schedule = options.schedule.map((phase) => `    - { label: ${phase.label}, until: ${phase.until}, every: ${phase.every} }`).join('\n');
  const checks = ['errorRate', 'latencyP99', 'cpu', 'memory', 'cacheHitRate', 'connectionPool'].map((check) => `    ${check}: { every: 1s }`).join('\n');
  return `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  minor: { approvers: [], stableAfter: ${options.stableAfter} }
roles:
  onCall: { users: [U0ONCALL] }
verification:
  schedule:
${schedule}
  retryAfter: 1s
  checks:
${checks}
planning: { enforceCadence: false }
`;
}
