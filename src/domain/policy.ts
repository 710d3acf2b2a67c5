import YAML from 'yaml';
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { POLICY_DEFAULTS } from './policy-defaults.js';
import { wallTime } from './time-zone.js';
import { RELEASE_TYPES, type ReleaseType } from './version.js';
import safeRegex from 'safe-regex2';

export const ROLE_NAMES = [
  'engineeringLead',
  'engineeringLeadership',
  'vpEng',
  'cto',
  'devopsLead',
  'qaLead',
  'releaseEngineer',
  'onCall',
] as const;
export const MILESTONE_KEYS = ['images', 'staging', 'production', 'verification'] as const;
/** The post-release verification checks `verification.checks` defines. */
export const CHECK_KEYS = ['errorRate', 'latencyP99', 'cpu', 'memory', 'cacheHitRate', 'connectionPool', 'queueDepth', 'logErrors'] as const;
export const HOTFIX_STEP_KEYS = ['emergencyCall', 'hotfixTested', 'hotfixApproved'] as const;
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** `verification.source`: who says a deployed release is good before it is complete. */
export const VERIFICATION_SOURCES = ['datadog', 'manual', 'none'] as const;
export type VerificationSource = (typeof VERIFICATION_SOURCES)[number];
/** What the policy's `permissions` govern: who may start each kind of work, or tick each checklist. */
export const PERMISSION_ACTIONS = [
  'start',
  'plan',
  'changePlan',
  'hotfix',
  'abort',
  'confirm',
  'coordinatedRollback',
  'rollback',
  'overrideCadence',
  'waive',
  'freeze',
  'checklist',
  'rollbackChecklist',
] as const;
/** Who a permission may name besides roles: whoever asked for the release (or plan), and its approvers. */
export const PERMISSION_SUBJECTS = ['requester', 'approvers', 'productionApprovers'] as const;
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** An object that rejects keys it does not know, listing the ones it does. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (expected one of: ${known})` : undefined),
  });
}

function matching(pattern: RegExp, example: string) {
  return z.string().regex(pattern, { error: (issue) => `${show(issue.input)} is not ${example}` });
}

function inOrder(field: string) {
  return (items: readonly Record<string, unknown>[], ctx: z.core.$RefinementCtx<unknown>) => {
    items.forEach((item, index) => {
      const previous = items[index - 1];
      if (previous && (item[field] as number) < (previous[field] as number)) {
        const message = `comes before the previous entry's ${field}: keep the list in order`;
        ctx.addIssue({ code: 'custom', path: [index, field], message });
      }
    });
  };
}

function uniqueBy(field: string) {
  return (items: readonly Record<string, unknown>[], ctx: z.core.$RefinementCtx<unknown>) => {
    items.forEach((item, index) => {
      if (items.findIndex((other) => other[field] === item[field]) !== index) {
        ctx.addIssue({ code: 'custom', path: [index, field], message: `${show(item[field])} appears twice` });
      }
    });
  };
}

const text = z.string().trim().min(1);
const role = z.enum(ROLE_NAMES);
const weekday = z.enum(WEEKDAYS);
const clockTime = matching(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 14:00');
const timezone = z.string().refine(isTimeZone, { error: (issue) => `${show(issue.input)} is not a time zone like UTC or Europe/London` });

/** A job pattern longer than this is a program, not a name to match. */
const JOB_PATTERN_MAX = 200;

/**
 * A regular expression tminus runs on every job name GitHub reports: valid, short, and without nested
 * quantifiers (`^(a+)+$` takes seconds on a 29-character name; safe-regex2 finds them by star height).
 */
const jobPattern = text.superRefine((source, ctx) => {
  try {
    new RegExp(source, 'i');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${show(source)} is not a valid regular expression: ${(error as Error).message}` });
    return;
  }
  if (source.length > JOB_PATTERN_MAX) {
    ctx.addIssue({ code: 'custom', message: `${show(source.slice(0, 40))}… is longer than ${JOB_PATTERN_MAX} characters: match the job's name, not more` });
  } else if (!safeRegex(source)) {
    const why = 'can take exponential time (a repeated group that itself repeats, like (a+)+): write it without nested repetition';
    ctx.addIssue({ code: 'custom', message: `${show(source)} ${why}` });
  }
});

// `label` is what is done (past tense, the progress view); `doing` is the step while it runs ("Current step").
const milestone = strict({ key: z.enum(MILESTONE_KEYS), label: text, doing: text.optional(), at: durationSchema, jobPattern });

const deploy = strict({
  workflow: text,
  // The workflow a backport patch's tag push runs (a patch on an older minor line); unset: backports are refused.
  backportWorkflow: text.optional(),
  pollInterval: durationSchema,
  pollIntervalWithWebhooks: durationSchema,
  runAppearTimeout: durationSchema,
  // After a failed deploy, how long tminus keeps looking for a re-run of the run on GitHub, and how often.
  rerunWindow: durationSchema,
  rerunPollInterval: durationSchema,
  milestones: z.array(milestone).min(1).superRefine(uniqueBy('key')).superRefine(inOrder('at')),
  completeAt: durationSchema,
  // T+60 "Post-Deployment Verification": the checks read once production runs the new version; the
  // release is complete only when they pass.
  postDeployChecks: strict({
    checks: z.array(z.enum(CHECK_KEYS)).refine((keys) => new Set(keys).size === keys.length, { error: 'names a check twice' }),
    // How far back each reading looks (never before the deploy finished).
    window: durationSchema,
    // A reading that breached or could not be made is taken again this much later…
    retryEvery: durationSchema,
    // …until this long after the deploy finished: then a breach fails the release.
    deadline: durationSchema,
  }),
}).superRefine((value, ctx) => {
  const last = value.milestones.at(-1);
  if (last && value.completeAt < last.at) {
    ctx.addIssue({ code: 'custom', path: ['completeAt'], message: `is before the last milestone (${last.key})` });
  }
});

const cadence = z.discriminatedUnion('kind', [
  strict({ kind: z.literal('asNeeded'), maxPerWeek: z.number().int().min(1) }),
  strict({
    kind: z.literal('biweekly'),
    weekday,
    time: clockTime,
    // One release date of the fortnightly cycle, so the calendar knows which weeks are on.
    anchor: matching(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2025-01-23').optional(),
  }).superRefine((value, ctx) => {
    if (value.anchor !== undefined && weekdayOf(value.anchor) !== value.weekday) {
      ctx.addIssue({ code: 'custom', path: ['anchor'], message: `${value.anchor} is not a ${value.weekday}` });
    }
  }),
  strict({
    kind: z.literal('quarterly'),
    months: z.array(z.number().int().min(1).max(12)).min(1).superRefine((months, ctx) => {
      if (new Set(months).size !== months.length) ctx.addIssue({ code: 'custom', message: 'lists a month twice' });
    }),
    weekday,
    time: clockTime,
  }),
  strict({ kind: z.literal('onDemand') }),
], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `${show(isMapping(issue.input) ? issue.input.kind : issue.input)} is not a cadence kind: use asNeeded, biweekly, quarterly or onDemand`
      : undefined,
});

// A one-off freeze's bound on the policy's wall clock: a date is the start of that day.
const wallDate = z.string().refine((value) => wallTime(value) !== undefined, {
  error: (issue) => `${show(issue.input)} is not a date like 2026-12-24 or a date and time like 2026-12-24T17:00`,
});
// A weekly window; one whose `until` is earlier than its `from` crosses midnight and ends the next day.
const weeklyWindow = strict({ days: z.array(weekday).min(1), from: clockTime, until: clockTime }).superRefine((value, ctx) => {
  if (value.from === value.until) ctx.addIssue({ code: 'custom', path: ['until'], message: `is the same as from (${value.from}): the window would be empty` });
});
// A deploy freeze: one-off (`from`, `until`) or recurring (`weekly`); a hotfix is held only when `appliesTo` lists it.
const freeze = strict({
  reason: text,
  from: wallDate.optional(),
  until: wallDate.optional(),
  weekly: weeklyWindow.optional(),
  appliesTo: z.array(z.enum(RELEASE_TYPES)).default((): ReleaseType[] => ['patch', 'minor', 'major']),
}).superRefine((value, ctx) => {
  if (value.weekly && (value.from !== undefined || value.until !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['weekly'], message: 'a freeze is one-off (from, until) or weekly, not both' });
  } else if (!value.weekly && (value.from === undefined || value.until === undefined)) {
    const missing = value.from === undefined ? 'from' : 'until';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'is missing: a one-off freeze has from and until (or give weekly)' });
  } else if (value.from !== undefined && value.until !== undefined && wallTime(value.until)! <= wallTime(value.from)!) {
    ctx.addIssue({ code: 'custom', path: ['until'], message: `${value.until} is not after from (${value.from}): until is when the freeze ends` });
  }
});

const releaseTypeShape = {
  // An empty list: no approval gate for this type (the release starts at once).
  approvers: z.array(role),
  // `any`: one approver from the listed roles; `all`: one approver from each.
  approvalRule: z.enum(['any', 'all']),
  testing: text,
  deployment: text,
  deployWithin: durationSchema.optional(),
  rollback: text,
  recoveryTime: durationSchema,
  stableAfter: durationSchema,
  cadence,
};
const hotfixStep = strict({ key: z.enum(HOTFIX_STEP_KEYS), label: text, within: durationSchema });
const releaseType = strict(releaseTypeShape);
const hotfix = strict({
  ...releaseTypeShape,
  steps: z.array(hotfixStep).min(1).superRefine(uniqueBy('key')).superRefine(inOrder('within')),
  // After an overdue step's reminder, how long until the VP Eng is paged.
  escalateAfter: durationSchema,
});

const people = strict({
  users: z.array(matching(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id like U0123ABCD')),
  // A leading @ is how people write a handle in Slack; the stored handle drops it.
  groups: z.array(matching(/^@?[a-z0-9][a-z0-9._-]*$/i, 'a user group handle like release-managers').transform((h) => h.replace(/^@/, ''))),
});

const check = strict({
  label: text,
  direction: z.enum(['below', 'above']).optional(),
  threshold: z.number().optional(),
  unit: z.enum(['%', 'ms', 'messages', 'logs', '']).optional(),
  every: durationSchema,
  // A Datadog query ({service}, {env} and {version} filled in): a metric query, or a log search for `source: logs`.
  // None: tminus does not read it; the verification message lists it for a person to check.
  query: text.optional(),
  // Where the query runs: `metrics` (its series' mean over the window) or `logs` (the count of matching lines).
  source: z.enum(['metrics', 'logs']).optional(),
  // "Should be normal": at most this many times its value over as long a window just before the deploy.
  baselineFactor: z.number().min(1).optional(),
  // The baseline rule's limit is never below this (a quiet baseline of 0 makes no single line a breach).
  baselineMinimum: z.number().min(0).optional(),
  // The decision matrix's issue a breach of this check is (e.g. "Feature broken", "Performance issue").
  issue: text.optional(),
}).superRefine((value, ctx) => {
  if ((value.direction === undefined) !== (value.threshold === undefined)) {
    const missing = value.direction === undefined ? 'direction' : 'threshold';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'direction and threshold go together: set both or neither' });
  }
  if (value.baselineFactor !== undefined && value.threshold !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['baselineFactor'], message: 'a check is judged by a threshold or against its baseline, not both: remove one' });
  }
  if (value.baselineMinimum !== undefined && value.baselineFactor === undefined) {
    ctx.addIssue({ code: 'custom', path: ['baselineMinimum'], message: 'baselineMinimum needs baselineFactor' });
  }
});

// An item is its text, or its text and the roles that may tick it (instead of `permissions.checklist`).
const checklistItem = z.union([text, strict({ text, roles: z.array(role).min(1) })], {
  error: (issue) => (issue.code === 'invalid_union' ? 'is the item\'s text, or a mapping of `text` and `roles`' : undefined),
});

const checklist = strict({
  title: text,
  before: durationSchema,
  appliesTo: z.array(z.enum(RELEASE_TYPES)),
  sections: z.array(strict({ title: text, items: z.array(checklistItem).min(1) })).min(1),
});

// A pre-deployment check: who may tick it (roles, and the permission words); `auto: monitors` is ticked by tminus from Datadog.
const preDeploymentCheck = strict({
  key: matching(/^[a-z][A-Za-z0-9]{0,39}$/, 'a key like goNoGo'),
  label: text,
  roles: z.array(z.enum([...ROLE_NAMES, ...PERMISSION_SUBJECTS])).min(1),
  auto: z.enum(['monitors']).optional(),
});

const preDeploymentChecks = strict({
  // Release types whose production gate holds them; unset: every type the production gate applies to.
  appliesTo: z.array(z.enum(RELEASE_TYPES)).optional(),
  // At most ten: one checkboxes element in the gate's message.
  items: z.array(preDeploymentCheck).max(10).superRefine(uniqueBy('key')),
  // The Datadog monitors `auto: monitors` reads; empty: those of `freezeWhile.monitors`.
  monitors: z.array(text),
  // How often tminus reads Datadog again while a monitor alerts or Datadog cannot be read.
  recheckEvery: durationSchema,
});

const permission = z.union([z.literal('anyone'), z.array(z.enum([...ROLE_NAMES, ...PERMISSION_SUBJECTS])).min(1)], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `is \`anyone\` or a list of roles (${ROLE_NAMES.join(', ')}) and ${PERMISSION_SUBJECTS.join(', ')}`
      : undefined,
});

export const policySchema = strict({
  timezone,
  statusUpdates: strict({ interval: durationSchema }),
  deploy,
  releaseTypes: strict({ patch: releaseType, minor: releaseType, major: releaseType, hotfix }),
  productionApproval: strict({
    approvers: z.number().int().min(1),
    // Who may approve a production deploy; any `approvers` distinct people holding one of these roles.
    roles: z.array(role).min(1),
    // The GitHub environment whose required-reviewer gate tminus answers once the Slack gate is met.
    environment: text,
    // Release types that wait at the production gate; for the others tminus answers GitHub's review itself.
    appliesTo: z.array(z.enum(RELEASE_TYPES)),
    // `environment`: GitHub's required reviewers hold the tag's deploy run; `dispatch`: the tag's run stops at
    // staging and tminus dispatches `workflow` only once the gate is met (on every GitHub plan).
    mode: z.enum(['environment', 'dispatch']),
    // The production workflow tminus dispatches (`workflow_dispatch` on the tag) in `dispatch` mode.
    workflow: text,
  }),
  // The readiness gate before T-0 (src/domain/readiness.ts): every release waits at it until each line holds.
  readiness: strict({
    // Check runs or status contexts that must pass on the tagged commit, like branch protection's; empty: all that reported, and one must.
    requiredChecks: z.array(text),
    // How often a release held at the gate is judged again (a tick, a waiver or a CI webhook judges it at once).
    recheckEvery: durationSchema,
    // `required`: a minor or major waits on its checklists; `advisory`: they are posted and shown, and hold nothing.
    checklists: z.enum(['required', 'advisory']),
  }),
  // Deploy freezes (src/domain/freezes.ts): a release of a type a freeze applies to waits at the readiness gate.
  freezes: z.array(freeze),
  // Automatic freezes: while a Datadog monitor named here alerts, or while the status page has an open incident.
  freezeWhile: strict({ monitors: z.array(text), statusPageIncident: z.boolean() }),
  // T+60 "Pre-deployment Checks" (src/domain/pre-deployment-checks.ts): part of the production gate; `items: []` turns them off.
  preDeploymentChecks,
  roleCacheTtl: durationSchema,
  roles: strict(Object.fromEntries(ROLE_NAMES.map((name) => [name, people])) as Record<RoleName, typeof people>),
  verification: strict({
    checks: strict({
      errorRate: check,
      latencyP99: check,
      cpu: check,
      memory: check,
      cacheHitRate: check,
      connectionPool: check,
      queueDepth: check,
      logErrors: check,
    }),
    schedule: z
      .array(strict({ label: text, until: durationSchema, every: durationSchema }))
      .min(1)
      .superRefine(inOrder('until')),
    // Tags filled into the queries: the Datadog service (default: the repository's name) and environment.
    service: text.optional(),
    env: text,
    // An error rate this many times its threshold is critical ("data loss" in the decision matrix).
    criticalErrorRateFactor: z.number().min(1),
    // Who verifies a release before it is complete: Datadog's checks (a person when Datadog is not configured), always a person, or nobody.
    source: z.enum(VERIFICATION_SOURCES),
    // Whether tminus starts the emergency rollback by itself on a critical breach.
    autoRollback: z.boolean(),
    // A run that could not read every check (Datadog down, no data) is tried again this much later.
    retryAfter: durationSchema,
    // The graph picture covers this long before the deploy and after it.
    graphWindow: durationSchema,
  }),
  rollback: strict({
    timeLimit: durationSchema,
    workflow: text,
    // A manual rollback shown when a release fails; `{version}` and `{previous}` stand for tags.
    command: text.optional(),
    // The health endpoint the rollback checklist calls ("Services responding (HTTP 200)").
    healthUrl: z.url({ protocol: /^https?$/ }).optional(),
    // How often a running rollback is read and its countdown updated.
    pollInterval: durationSchema,
    // A dispatch whose answer was lost: how long its run may take to show up before it is sent again.
    runAppearTimeout: durationSchema,
    // How long a rollback keeps trying through a GitHub outage before it gives up to a person.
    giveUpAfter: durationSchema,
  }),
  decisionMatrix: z.array(strict({ severity: z.enum(SEVERITIES), issue: text, action: text, timeline: durationSchema })),
  checklists: strict({ before72h: checklist, before24h: checklist, before4h: checklist }),
  // Who may do what: `anyone`, or a list of roles (and `requester`, `approvers`, `productionApprovers`).
  permissions: strict(Object.fromEntries(PERMISSION_ACTIONS.map((name) => [name, permission])) as Record<PermissionAction, typeof permission>),
  communication: strict({
    statusPageUrl: z.url({ protocol: /^https?$/, error: (issue) => `${show(issue.input)} is not an http(s) URL` }).optional(),
    supportContact: text.optional(),
    announceBefore: durationSchema,
    // A customer-facing channel id that also gets the pre-release announcement.
    customerChannel: z.string().regex(/^[CG][A-Z0-9]+$/).optional(),
    // Per release type: the guide deploys majors blue-green; a type without a value says nothing about downtime.
    expectedDowntime: strict(Object.fromEntries(RELEASE_TYPES.map((type) => [type, text.optional()])) as Record<(typeof RELEASE_TYPES)[number], z.ZodOptional<typeof text>>),
    // "How this affects you" lines of the customer announcement, per release type (breaking changes are added).
    howThisAffectsYou: strict(Object.fromEntries(RELEASE_TYPES.map((type) => [type, z.array(text).optional()])) as Record<(typeof RELEASE_TYPES)[number], z.ZodOptional<z.ZodArray<typeof text>>>),
    // The sign-off under "Thank you," in customer messages ("The SwipeSavvy Team").
    signOff: text.optional(),
    // The hosted status page (Statuspage): used only when STATUSPAGE_API_KEY and STATUSPAGE_PAGE_ID are set.
    statusPage: strict({
      enabled: z.boolean(),
      // The page's components a release touches: under maintenance during the window, degraded during a rollback.
      componentIds: z.array(text),
      events: z.array(z.enum(['announcement', 'inProgress', 'complete', 'rollback'])),
    }),
  }),
  planning: strict({
    // Files whose change makes a pull request a database migration.
    migrationPaths: z.array(text),
    // Pull request labels that sort it into the guide's sections (conventional-commit titles count too).
    labels: strict({ features: z.array(text), fixes: z.array(text), improvements: z.array(text), breaking: z.array(text) }),
    // Whether `/release start` keeps to the cadence (an approver of the type may still pass --override).
    enforceCadence: z.boolean(),
    // How far ahead a release may be planned.
    horizon: durationSchema,
    // How far from a calendar slot a planned or cadence-bound release may start.
    slotTolerance: durationSchema,
    // A scheduled post or job whose time passed while every process was down runs when one starts, within this.
    catchUpGrace: durationSchema,
    // The minor-release timeline before release day, as offsets before the slot.
    minorTimeline: z.array(strict({ key: z.enum(['branchCut', 'codeFreeze', 'finalTesting', 'releaseDay']), label: text, before: durationSchema })),
  }),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type RoleName = (typeof ROLE_NAMES)[number];
export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];
export type PermissionSubject = (typeof PERMISSION_SUBJECTS)[number];
export type Permission = Policy['permissions']['start'];
export type MilestoneKey = (typeof MILESTONE_KEYS)[number];
export type Milestone = Policy['deploy']['milestones'][number];
export type ReleaseTypePolicy = Policy['releaseTypes']['patch'];
export type HotfixPolicy = Policy['releaseTypes']['hotfix'];
export type Cadence = ReleaseTypePolicy['cadence'];
export type VerificationCheck = Policy['verification']['checks']['errorRate'];
export type DecisionMatrixRow = Policy['decisionMatrix'][number];
export type Checklist = Policy['checklists']['before72h'];
export type PolicyFreeze = Policy['freezes'][number];
export type PreDeploymentCheck = Policy['preDeploymentChecks']['items'][number];

type Writable<T> = { -readonly [K in keyof T]: Writable<T[K]> };
// `as const` keeps the defaults' literals; the assignment checks them against the schema's input.
const DEFAULTS: PolicyInput = POLICY_DEFAULTS as Writable<typeof POLICY_DEFAULTS>;

export interface PolicyProblem {
  /** `statusUpdates.interval`, `deploy.milestones[0].jobPattern`; empty for the file as a whole. */
  path: string;
  message: string;
}

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly source: string,
    readonly problems: readonly PolicyProblem[],
  ) {
    super(problems.map((problem) => [source, problem.path, problem.message].filter(Boolean).join(': ')).join('\n'));
  }
}

/** The guide's policy, as a fresh object each call. */
export function defaultPolicy(): Policy {
  return policySchema.parse(DEFAULTS);
}

/**
 * The policy: the guide's defaults with `yamlText` laid over them. The YAML holds only what it
 * changes; mappings merge key by key, lists and scalars replace, `null` removes an optional key.
 */
export function loadPolicy(yamlText: string | undefined, sourceName = 'RELEASE_POLICY'): Policy {
  const override = readYaml(yamlText ?? '', sourceName);
  const result = policySchema.safeParse(mergeOver(DEFAULTS, override), { error: friendlyMessage });
  if (!result.success) throw new PolicyError(sourceName, result.error.issues.flatMap(toProblems));
  const { productionApproval, deploy } = result.data;
  if (productionApproval.mode === 'dispatch' && productionApproval.workflow === deploy.workflow) {
    // The tag's run would deploy production before anyone approved: the gate would hold nothing.
    const message =
      `is also \`deploy.workflow\` (${show(deploy.workflow)}): in dispatch mode the tag push runs \`deploy.workflow\` (build, staging) ` +
      'and tminus dispatches this one after the approvals: name two workflows';
    throw new PolicyError(sourceName, [{ path: 'productionApproval.workflow', message }]);
  }
  return result.data;
}

function readYaml(yamlText: string, sourceName: string): Record<string, unknown> {
  const document = YAML.parseDocument(yamlText);
  if (document.errors.length > 0) {
    // The first line of a yaml error names the fault and its line and column; the rest is a code frame.
    const problems = document.errors.map((error) => ({
      path: '',
      message: `invalid YAML: ${error.message.split('\n')[0]?.replace(/:$/, '')}`,
    }));
    throw new PolicyError(sourceName, problems);
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    throw new PolicyError(sourceName, [{ path: '', message: `expected a mapping of policy keys, got ${show(value)}` }]);
  }
  return value;
}

function mergeOver(base: unknown, override: unknown): unknown {
  if (!isMapping(base) || !isMapping(override)) return override;
  // A cadence of another kind replaces the default's rather than mixing fields of two kinds.
  if ('kind' in override && override.kind !== base.kind) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    // defineProperty, so that a `__proto__` key is just an unknown key and not a prototype.
    else Object.defineProperty(merged, key, { value: mergeOver(base[key], value), enumerable: true, writable: true, configurable: true });
  }
  return merged;
}

function toProblems(issue: z.core.$ZodIssue): PolicyProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: issue.message }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `is missing: expected ${expected}` : `expected ${expected}, got ${show(issue.input)}`;
    }
    case 'invalid_value':
      return `${show(issue.input)} is not one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${issue.minimum}`;
    case 'too_big':
      return `must be at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function weekdayOf(isoDate: string): string | undefined {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2025-02-30 over to March; a date that moved was not a date.
  if (date.getUTCDate() !== day) return undefined;
  return WEEKDAYS[(date.getUTCDay() + 6) % 7];
}
