/** The guide's Rollback Verification Checklist, and which items tminus can tick by itself. */
export const ROLLBACK_CHECKLIST = [
  { key: 'servicesResponding', label: 'Services responding (HTTP 200)', auto: 'health' },
  { key: 'databaseAccessible', label: 'Database accessible' },
  { key: 'cacheOperational', label: 'Cache operational' },
  { key: 'metricsPreRollback', label: 'Metrics showing pre-rollback levels', auto: 'metrics' },
  { key: 'errorLogsNormal', label: 'Error logs normal' },
  { key: 'noCustomerImpact', label: 'No customer impact ongoing' },
  { key: 'dataIntegrity', label: 'Data integrity confirmed' },
  { key: 'teamNotified', label: 'Team notified', auto: 'notice' },
] as const;

export type RollbackItem = (typeof ROLLBACK_CHECKLIST)[number]['key'];
