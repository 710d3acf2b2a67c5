import { asc } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { freezes, releaseEvents, releases, type FreezeRow, type ReleaseEventRow, type ReleaseRow } from '../../src/integrations/database/schema.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import type { GitHubWebhooks, WorkflowRunView, WorkflowScript } from '../../src/sandbox/github.js';
import { startWebhookBot } from '../support/webhook-bot.js';
import { deployWorkflow, DEPLOY_WORKFLOW, RELEASES_CHANNEL, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';
import { startCollector, type Collector } from './collector.js';

/**
 * The world of the model-based test: the real tminus (in this process, restartable), the stand-ins, the
 * database as an observer reads it, and what the test did. The model itself holds only what the
 * invariants need afterwards; everything else is read from what an outside observer sees.
 */

/** The lead's never-wedges timings, with post-release verification shrunk to seconds so Datadog matters. */
export const MODEL_POLICY = `
statusUpdates: { interval: 1s }
deploy: { pollInterval: 200ms, runAppearTimeout: 6s, rerunWindow: 1m, rerunPollInterval: 300ms }
releaseTypes:
  patch: { approvers: [], stableAfter: 2500ms }
  minor: { approvers: [], stableAfter: 2500ms }
  major: { approvers: [], stableAfter: 2500ms }
roles:
  onCall: { users: [U0ONCALL] }
  devopsLead: { users: [U0OPS] }
  qaLead: { users: [U0QA] }
verification:
  schedule:
    - { label: First seconds, until: 2s, every: 1s }
  retryAfter: 1s
  checks:
    errorRate: { every: 1s }
    latencyP99: { every: 1s }
    cpu: { every: 1s }
    memory: { every: 1s }
    cacheHitRate: { every: 1s }
    connectionPool: { every: 1s }
rollback: { pollInterval: 200ms, runAppearTimeout: 4s, giveUpAfter: 8s }
planning: { enforceCadence: false }
permissions: { waive: [onCall] }
`;

/**
 * The policy of a run: the model's, with the two-person production gate when the world's production is gated.
 * With webhooks, tminus polls slowly while deliveries flow: a delivery dropped or late must not leave it blind.
 */
export function modelPolicy(settings: Pick<WorldSettings, 'gated' | 'webhooks'>): string {
  return (
    MODEL_POLICY.replace('rerunPollInterval: 300ms }', `rerunPollInterval: 300ms${settings.webhooks ? ', pollIntervalWithWebhooks: 2s' : ''} }`) +
    (settings.gated ? 'productionApproval: { appliesTo: [patch, minor, major] }\n' : '')
  );
}

/** The secret of the GitHub stand-in's repository hook, in worlds with webhooks. */
export const WEBHOOK_SECRET = 'model-webhook-secret';

/** tminus as a run starts it (and a restart starts it again): with its GitHub webhook on in worlds that have one. */
export async function startModelBot(world: World, settings: WorldSettings): Promise<{ bot: Bot; hook?: GitHubWebhooks }> {
  if (!settings.webhooks) return { bot: await startBot(world, { policy: modelPolicy(settings) }) };
  const bot = await startWebhookBot(world, modelPolicy(settings), WEBHOOK_SECRET);
  return { bot, hook: bot.hook };
}

export const REQUESTER = 'U0ENG';
export const ON_CALL = 'U0ONCALL';
export const APPROVERS = ['U0OPS', 'U0QA'] as const;
/** Everyone who may click something: the requester, the approvers, on-call, and someone with no role. */
export const PEOPLE = [REQUESTER, ...APPROVERS, ON_CALL, 'U0LEAD'] as const;
/** A required reviewer of the production environment who acts in GitHub's UI. */
export const GITHUB_REVIEWER = 'octocat';
export const ROLLBACK_WORKFLOW = 'rollback.yml';
/** A workflow that also runs on tag pushes (invariant 12: tminus acts only on its own run). */
export const OTHER_TAG_WORKFLOW = 'lint.yml';
/** What production runs before the first release of a run (the world's only tag). */
export const FIRST_PRODUCTION = 'v1.2.0';
export const DEPLOY_JOBS = ['build-images', 'deploy-staging', 'deploy-production', 'verify'] as const;

/**
 * Known bugs of src not fixed yet, each with a skipped regression case in regressions.ts. A violation the
 * invariants recognise as one is tagged `[known bug: <id>]` (see `knownBug`); it fails the run like any other
 * unless MODEL_KNOWN_BUGS=0, which lets a long random run look for new bugs past it. Remove an entry with its
 * fix. Found and fixed so far: stop-during-click (e178e68), rerun-gate (959b8d6), rejection-race (e178e68),
 * rejection-too-late (ade58bf).
 */
export const KNOWN_BUGS: Record<string, string> = {};

export const knownBugs = { enforce: true };

/** Marks a violation as the known bug `id` (a key of KNOWN_BUGS). */
export function knownBug(id: string): string {
  return ` [known bug: ${id}]`;
}

export function isKnownBug(violation: string): boolean {
  return violation.includes('[known bug: ');
}

/** What a run of the property fixes before its commands: whether production waits for reviewers, and GitHub's listing delay. */
export interface WorldSettings {
  gated: boolean;
  listingDelayMs: number;
  /** GitHub delivers the repository's webhooks to tminus (the command sets before `webhooks` had none). */
  webhooks?: boolean;
}

/** What must be true afterwards, as far as the commands alone can tell. */
export interface Model {
  minor: number;
  patch: number;
  /** Every version a StartRelease asked for, accepted or not. */
  started: string[];
}

export function initialModel(): Model {
  return { minor: 2, patch: 0, started: [] };
}

/** The next fresh version, always above everything handed out before. */
export function takeVersion(model: Model, bump: 'patch' | 'minor'): string {
  if (bump === 'minor') {
    model.minor += 1;
    model.patch = 0;
  } else {
    model.patch += 1;
  }
  const version = `v1.${model.minor}.${model.patch}`;
  model.started.push(version);
  return version;
}

/** An answer to a slash command or a click, as Slack (or a stale client) got it. */
export interface Answer {
  what: string;
  status: number;
  text: string;
}

/** A rollback somebody asked for: by command (a version) or with a "Roll back now" button (a release id). */
export type RollbackAsk = { version: string } | { releaseId: string };

export interface Real {
  world: World;
  bot: Bot;
  /** The repository's webhook, delivering to tminus, in worlds with webhooks (a restart makes a new one). */
  hook: GitHubWebhooks | undefined;
  settings: WorldSettings;
  /** The database as an outside observer reads it (its own connection, unaffected by restarts). */
  observer: DatabaseHandle;
  /** Takes the answers tminus sends to the response_url of clicks made on stale copies of messages. */
  collector: Collector;
  log: string[];
  t0: number;
  answers: Answer[];
  rollbackAsks: RollbackAsk[];
  outageTimer: NodeJS.Timeout | undefined;
  /** Violations noticed while the commands ran (e.g. two concurrent starts both accepted). */
  violations: string[];
  /** What CI showed on each commit and since when (ms, real time): the readiness gate's invariant reads it. */
  ci: { sha: string; state: CiState; at: number }[];
}

/** CI on a commit as the world shows it: passed, failed, still running, or no check at all. */
export type CiState = 'green' | 'red' | 'running' | 'none';

export function note(real: Real, line: string): void {
  real.log.push(`${((Date.now() - real.t0) / 1000).toFixed(1).padStart(5)}s ${line}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A person reacts to something within their patience: polls `find` until it returns something, or the
 * patience runs out (undefined then). Patience 0 looks once.
 */
export async function within<T>(patienceMs: number, find: () => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const found = await find();
    if (found !== undefined || Date.now() >= deadline) return found;
    await sleep(100);
  }
}

function deployScript(gated: boolean): WorkflowScript {
  const script = deployWorkflow({ images: 500, staging: 500, production: 500, verify: 500 });
  if (gated) script.jobs[2]!.environment = 'production';
  return script;
}

type Health = 'healthy' | 'breach' | 'no-data' | 'down';

/** Datadog as the verification reads it: healthy metrics, an error-rate breach, no data, or Datadog down. */
export function setDatadog(world: World, health: Health): void {
  world.datadog.outage(health === 'down');
  if (health === 'down') return;
  world.datadog.clearSeries();
  if (health === 'no-data') return;
  const series = (scope: string, value: number) => (from: number, to: number) => [
    { scope, points: Array.from({ length: Math.max(1, Math.floor((to - from) / 1000)) }, (_, i) => [to - i * 1000, value] as [number, number]) },
  ];
  world.datadog.setSeries(/trace\.web\.request\.errors/, series('*', health === 'breach' ? 4 : 0.02));
  world.datadog.setSeries(/^p99:trace\.web\.request/, series('*', 210));
  world.datadog.setSeries(/runtime\.node\.cpu/, series('host:web-1', 40));
  world.datadog.setSeries(/container\.memory/, series('host:web-1', 60));
  world.datadog.setSeries(/keyspace_hits/, series('*', 96));
  world.datadog.setSeries(/percent_usage_connections/, series('*', 50));
}

/** A fresh world and tminus for one run of the property (a run leaves state behind). */
export async function startReal(settings: WorldSettings): Promise<Real> {
  const world = await startWorld();
  const cleanup: (() => Promise<void>)[] = [() => world.close()];
  try {
    world.github.defineWorkflow(DEPLOY_WORKFLOW, deployScript(settings.gated));
    // Another workflow on tag pushes, as real repositories have: tminus must never take its run for the deploy's.
    world.github.defineWorkflow(OTHER_TAG_WORKFLOW, { trigger: 'tag', jobs: [{ name: 'lint', steps: ['Lint'], durationMs: 300 }] });
    world.github.defineWorkflow(ROLLBACK_WORKFLOW, { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 600 }] });
    if (settings.gated) world.github.protectEnvironment('production', [world.github.tokenOwner, GITHUB_REVIEWER]);
    world.github.setRunListingDelay(settings.listingDelayMs);
    setDatadog(world, 'healthy');
    // Gated: the guide's two-person production gate, which GitHub's protected environment lets the readiness gate pass.
    const { bot, hook } = await startModelBot(world, settings);
    cleanup.unshift(() => bot.stop());
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes(FIRST_PRODUCTION)));
    const observer = await openDatabase({ url: world.databaseUrl, dataDir: '' });
    cleanup.unshift(() => observer.close());
    const collector = await startCollector();
    return { world, bot, hook, settings, observer, collector, log: [], t0: Date.now(), answers: [], rollbackAsks: [], outageTimer: undefined, violations: [], ci: [] };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => {});
    throw error;
  }
}

export async function stopReal(real: Real): Promise<void> {
  clearTimeout(real.outageTimer);
  real.world.github.outage(false);
  real.world.datadog.outage(false);
  for (const step of [() => real.bot.stop(), () => real.observer.close(), () => real.collector.close(), () => real.world.close()]) {
    await step().catch(() => {});
  }
}

// ------------------------------------------------------------------ what an observer sees

export interface Snapshot {
  releases: ReleaseRow[];
  events: ReleaseEventRow[];
  /** Every message of #releases, top-level and replies, in ts order. */
  messages: StoredMessage[];
  /** Every workflow run on GitHub, as it stands. */
  runs: WorkflowRunView[];
  /** The ad-hoc deploy freezes (`/release freeze`), ended or not. */
  freezes: FreezeRow[];
}

export async function observe(real: Real): Promise<Snapshot> {
  const db = real.observer.db;
  const [rows, events, frozen] = await Promise.all([
    db.select().from(releases).orderBy(asc(releases.requestedAt)),
    db.select().from(releaseEvents).orderBy(asc(releaseEvents.id)),
    db.select().from(freezes).orderBy(asc(freezes.createdAt)),
  ]);
  return { releases: rows, events, messages: real.world.slack.messages(RELEASES_CHANNEL), runs: real.world.github.runs(), freezes: frozen };
}

export function threadOf(snapshot: Pick<Snapshot, 'messages'>, release: Pick<ReleaseRow, 'threadTs'>): StoredMessage[] {
  return release.threadTs ? snapshot.messages.filter((m) => m.threadTs === release.threadTs) : [];
}
