import { randomBytes } from 'node:crypto';
import { Octokit } from 'octokit';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startTminus, type Tminus } from '../../src/app.js';
import { loadPolicy, type Policy } from '../../src/domain/policy.js';
import { parseDuration } from '../../src/domain/duration.js';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { GitHubStandIn, type WorkflowScript } from '../../src/sandbox/github.js';
import { SlackStandIn } from '../../src/sandbox/slack.js';
import { DatadogStandIn } from '../../src/sandbox/datadog.js';
import { createObservability } from '../../src/integrations/datadog.js';
import type { StatusPage } from '../../src/integrations/status-page.js';
import { testDatabaseAdminUrl, testRedisUrl } from './env.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';
export const RELEASES_CHANNEL = 'C0RELEASES';
export const DD_API_KEY = 'dd-api-test';
export const DD_APP_KEY = 'dd-app-test';
export const DEPLOY_WORKFLOW = 'deploy-production.yml';

/** Release-day timings for tests: the guide's rules, with the clock of release day shrunk to seconds. */
export const FAST_TIMINGS = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
planning:
  enforceCadence: false
`;

/**
 * Turns the types' approval gates and the production gate off, for tests of release day itself (the approvals
 * tests keep them): the world's `production` environment has no required reviewers, so the readiness gate
 * refuses a release the policy asks a production gate of.
 */
export const NO_GATES = `
releaseTypes:
  patch: { approvers: [] }
  minor: { approvers: [] }
  major: { approvers: [] }
productionApproval: { appliesTo: [] }
`;

export const FAST_POLICY = FAST_TIMINGS + NO_GATES;

/** A deploy workflow shaped like the guide's release day, taking a few seconds. */
export function deployWorkflow(durations: { images?: number; staging?: number; production?: number; verify?: number } = {}): WorkflowScript {
  return {
    trigger: 'tag',
    jobs: [
      { name: 'build-images', steps: ['Build admin-portal', 'Build wallet-web', 'Build ai-agents'], durationMs: durations.images ?? 1_500 },
      { name: 'deploy-staging', steps: ['Deploy to staging', 'Run smoke tests'], durationMs: durations.staging ?? 1_000 },
      {
        name: 'deploy-production',
        steps: ['Create pre-deployment backup', 'Deploy new containers', 'Execute database migrations', 'Run smoke tests'],
        durationMs: durations.production ?? 1_000,
        // As a real deploy job does: GitHub records its deployment, which is how tminus knows production was touched.
        environment: 'production',
      },
      { name: 'verify', steps: ['Verify metrics', 'Post-deployment checks'], durationMs: durations.verify ?? 1_000 },
    ],
  };
}

/**
 * The deploy workflow with its production job not targeting an environment: in a world whose `production`
 * environment is protected (so the readiness gate lets releases the production gate applies to go on), a
 * release deployed by it never waits at GitHub's review, as one that tests nothing of the production gate.
 */
export function ungatedDeployWorkflow(durations?: Parameters<typeof deployWorkflow>[0]): WorkflowScript {
  const script = deployWorkflow(durations);
  delete script.jobs[2]!.environment;
  return script;
}

/** A fresh Postgres database of this test file's own. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tminus_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(testDatabaseAdminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(testDatabaseAdminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const sql = postgres(testDatabaseAdminUrl(), { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/** The outside world of one test file: Slack, GitHub, a database and a queue prefix of its own. */
export interface World {
  slack: SlackStandIn;
  github: GitHubStandIn;
  datadog: DatadogStandIn;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  close(): Promise<void>;
}

export async function startWorld(options: { slackChannels?: { id: string; name: string }[] } = {}): Promise<World> {
  const slack = await SlackStandIn.start({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    ...(options.slackChannels ? { channels: [{ id: RELEASES_CHANNEL, name: 'releases' }, ...options.slackChannels] } : {}),
    users: [
      { id: 'U0ENG', name: 'erin', realName: 'Erin Engineer' },
      { id: 'U0LEAD', name: 'lee', realName: 'Lee Lead' },
    ],
  });
  const github = await GitHubStandIn.start({ token: 'ghs_test' });
  const datadog = await DatadogStandIn.start({ apiKey: DD_API_KEY, appKey: DD_APP_KEY });
  serveHealthyService(datadog);
  github.commit('main', 'feat: wallet top-ups (#12)');
  github.addTag('v1.2.0');
  github.addRelease('v1.2.0');
  github.commit('main', 'feat: admin portal search (#14)');
  github.commit('main', 'fix: rounding in receipts (#15)');
  github.defineWorkflow(DEPLOY_WORKFLOW, deployWorkflow());
  // The repository's CI passes on every push unless a test says otherwise (the readiness gate reads it).
  github.runCiOnEveryCommit([{ name: 'test' }]);
  const database = await createTestDatabase();
  const queuePrefix = `tminus-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    slack,
    github,
    datadog,
    databaseUrl: database.url,
    redisUrl: testRedisUrl(),
    queuePrefix,
    close: async () => {
      await slack.close();
      await github.close();
      await datadog.close();
      await database.drop();
      await deleteQueueKeys(testRedisUrl(), queuePrefix);
    },
  };
}

/** A Datadog series answering `value` over whatever window is asked, one point every `everyMs`, newest first. */
export function steadySeries(scope: string, value: number, everyMs = 1000) {
  return (from: number, to: number) => [
    { scope, points: Array.from({ length: Math.max(1, Math.floor((to - from) / everyMs)) }, (_, i) => [to - i * everyMs, value] as [number, number]) },
  ];
}

/**
 * A live service has metrics: the world's Datadog answers the guide's checks with healthy values (one
 * point a second) until a test scripts others (the newest script wins).
 */
export function serveHealthyService(datadog: DatadogStandIn): void {
  datadog.setSeries(/trace\.web\.request\.errors/, steadySeries('*', 0.02));
  datadog.setSeries(/^p99:trace\.web\.request/, steadySeries('*', 210));
  datadog.setSeries(/runtime\.node\.cpu/, steadySeries('host:web-1', 40));
  datadog.setSeries(/container\.memory/, steadySeries('host:web-1', 60));
  datadog.setSeries(/keyspace_hits/, steadySeries('*', 96));
  datadog.setSeries(/percent_usage_connections/, steadySeries('*', 50));
}

/**
 * Release-day timings a test's own policy does not set: the T+60 post-deploy checks read every 200 ms over
 * the last 2 s, with 3 s to pass, so a release completes within a second of its run; a release held at its
 * readiness gate is judged again every second.
 */
export function withTestTimings(policyYaml: string): string {
  const doc = (parseYaml(withTestGates(policyYaml)) ?? {}) as { deploy?: { postDeployChecks?: Record<string, unknown> } };
  doc.deploy = { ...doc.deploy, postDeployChecks: { retryEvery: '200ms', window: '2s', deadline: '3s', ...doc.deploy?.postDeployChecks } };
  return stringifyYaml(doc);
}

/**
 * The gates a test's own policy does not name. The world's `production` environment has no required reviewers:
 * a test of the production gate names `productionApproval` (and protects the environment); the others run
 * without it. The production gate's T+60 pre-deployment checks hold only where a test names `preDeploymentChecks`.
 * A minor or major waits on its checklists at the readiness gate only where a test says so; a release held
 * there is judged again every second.
 */
export function withTestGates(policyYaml: string): string {
  type Gates = { productionApproval?: Record<string, unknown>; preDeploymentChecks?: Record<string, unknown>; readiness?: Record<string, unknown> };
  const doc = (parseYaml(policyYaml) ?? {}) as Gates;
  doc.productionApproval ??= { appliesTo: [] };
  doc.preDeploymentChecks ??= { items: [] };
  doc.readiness = { recheckEvery: '1s', checklists: 'advisory', ...doc.readiness };
  return stringifyYaml(doc);
}

/** The T+N labels of the "IN PROGRESS" updates in a release's thread, in order ("2s", "1m 2s", or "2" for whole minutes). */
export function updateLabels(world: World, threadTs: string): string[] {
  return world.slack
    .thread(RELEASES_CHANNEL, threadTs)
    .filter((m) => m.text.includes('IN PROGRESS'))
    .map((m) => m.text.match(/T\+(.+?) —/)![1]!);
}

/** A T+N label as seconds since T-0: "30s", "1m 2s", or whole minutes as the guide writes them ("2"). */
export function secondsSinceStart(label: string): number {
  return /^\d+$/.test(label) ? Number(label) * 60 : parseDuration(label) / 1000;
}

/** Removes every Redis key under a queue prefix (a test's own). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface Bot {
  tminus: Tminus;
  database: DatabaseHandle;
  policy: Policy;
  /** Where Slack delivers commands and clicks. */
  eventsUrl: string;
  baseUrl: string;
  stop(): Promise<void>;
}

export interface BotOptions {
  policy?: string;
  ackWithinMs?: number;
  clock?: () => Date;
  planScheduleCron?: string;
  /** `false`: tminus runs without Datadog (no `DD_API_KEY`), as an operator may deploy it. */
  datadog?: boolean;
  /** A status page to keep (e.g. `createStatuspage` against a `StatuspageStandIn`). */
  statusPage?: StatusPage;
  /** Where tminus reaches GitHub, when not the world's stand-in directly (a proxy in front of it). */
  githubUrl?: string;
}

/** Starts tminus in this process, wired to the world's stand-ins through the real SDK clients. */
export async function startBot(world: World, options: BotOptions = {}): Promise<Bot> {
  const policy = loadPolicy(withTestTimings(options.policy ?? FAST_POLICY), 'test policy');
  const database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
  const tminus = await startTminus({
    port: 0,
    slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
    github: createReleaseRepository({ token: world.github.token, apiUrl: options.githubUrl ?? world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
    ...(options.datadog === false
      ? {}
      : { observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: world.datadog.url, timeoutMs: 2_000 }) }),
    ...(options.statusPage ? { statusPage: options.statusPage } : {}),
    database,
    redisUrl: world.redisUrl,
    queuePrefix: world.queuePrefix,
    policy,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.planScheduleCron ? { planScheduleCron: options.planScheduleCron } : {}),
  });
  return botOf(tminus, database, policy);
}

/** A world for the guide's run-up in seconds: one feature merged since v1.2.0, CI green on main, no monitor alerting. */
export async function startRunUpWorld(): Promise<World> {
  const world = await startWorld();
  await mergePullRequest(world, 'feat/search', 'feat: admin portal search', { 'src/search.ts': 'export const search = true;\n' });
  world.github.setCheckRuns('main', [{ name: 'test' }]);
  world.datadog.setMonitors([{ id: 1, name: 'Error rate', overallState: 'OK' }]);
  return world;
}

/** The guide's minor timeline, squeezed into the minute before the slot: key, label, seconds before. */
export const RUN_UP_TIMELINE: readonly (readonly [string, string, number])[] = [
  ['branchCut', 'Cut the release branch', 55],
  ['codeFreeze', 'Code freeze (bug fixes only)', 42],
  ['finalTesting', 'Final testing + security scan', 30],
  ['releaseDay', 'Release day', 10],
];

/**
 * A planned release's run-up in seconds, for `startRunUpBot`: the checklists (72 h, 24 h, 4 h), the
 * announcement and the timeline fall due the given seconds before the slot; minors need no approval.
 * `communication` and `planning` take further lines of their own (already indented by two spaces).
 */
export function runUpPolicy(o: { checklists?: readonly [number, number, number]; announceBefore?: number; timeline?: readonly (readonly [string, string, number])[]; communication?: string[]; planning?: string[] } = {}): string {
  const [c72, c24, c4] = o.checklists ?? [50, 35, 20];
  return `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  minor: { approvers: [] }
roles:
  releaseEngineer: { users: [U0ENG] }
  qaLead: { users: [U0QA] }
checklists:
  before72h: { before: ${c72}s }
  before24h: { before: ${c24}s }
  before4h: { before: ${c4}s }
communication:
  announceBefore: ${o.announceBefore ?? 45}s
${(o.communication ?? []).map((l) => `${l}\n`).join('')}planning:
${(o.planning ?? []).map((l) => `${l}\n`).join('')}  catchUpGrace: 10m
  minorTimeline:
${(o.timeline ?? RUN_UP_TIMELINE).map(([key, label, before]) => `    - { key: ${key}, label: ${label}, before: ${before}s }\n`).join('')}`;
}

/** A minute before the 14:00 minor slot of 2026-12-10: planned releases' run-ups start from here. */
export const BEFORE_MINOR_SLOT = '2026-12-10T13:59:00Z';

/** tminus on a clock from `BEFORE_MINOR_SLOT`, the plan scheduler looking every second, the tags read. */
export async function startRunUpBot(world: World, policy: string): Promise<Bot> {
  const bot = await startBot(world, { policy, clock: clockFrom(BEFORE_MINOR_SLOT), planScheduleCron: '*/1 * * * * *' });
  await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  return bot;
}

/** A started tminus as tests drive it: where Slack delivers, and how to stop it and close its database. */
export function botOf(tminus: Tminus, database: DatabaseHandle, policy: Policy): Bot {
  const baseUrl = `http://127.0.0.1:${tminus.port}`;
  return {
    tminus,
    database,
    policy,
    baseUrl,
    eventsUrl: `${baseUrl}/slack/events`,
    stop: async () => {
      await tminus.stop();
      await database.close();
    },
  };
}

/**
 * A deploy workflow whose last job waits for a sign-off (a protected environment tminus opens no gate for):
 * the run outlasts a restart however slowly the machine starts a process, until `signOff` is called.
 */
export function deployWorkflowHeldForSignOff(world: World): void {
  const script = deployWorkflow({ images: 4_000, staging: 2_000, production: 2_000, verify: 1_000 });
  script.jobs[3]!.environment = 'sign-off';
  world.github.protectEnvironment('sign-off', ['qa-lead']);
  world.github.defineWorkflow(DEPLOY_WORKFLOW, script);
}

/** Signs off the held last job of `version`'s deploy run, once it waits for it. */
export async function signOff(world: World, version: string): Promise<void> {
  const run = world.github.runs().find((r) => r.head_branch === version)!;
  await waitFor('the run to wait for its sign-off', () => world.github.runs().find((r) => r.id === run.id)?.status === 'waiting', 60_000);
  world.github.reviewAs(run.id, 'qa-lead', 'approved');
}

/** A pull request merged into main through the REST API, as a person would open, label and merge it. */
export async function mergePullRequest(world: World, branch: string, title: string, files: Record<string, string>, labels: string[] = []): Promise<number> {
  const octokit = new Octokit({ auth: world.github.token, baseUrl: world.github.url, retry: { enabled: false }, throttle: { enabled: false } });
  const repo = { owner: world.github.owner, repo: world.github.repo };
  world.github.createBranch(branch);
  world.github.commit(branch, title, files);
  const { data: pull } = await octokit.rest.pulls.create({ ...repo, title, head: branch, base: 'main' });
  if (labels.length > 0) await octokit.rest.issues.addLabels({ ...repo, issue_number: pull.number, labels });
  await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number, merge_method: 'squash' });
  return pull.number;
}

/** Polls until `check` returns something truthy (or stops throwing); fails with `what` after the deadline. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** All the text of a message (its blocks included), for assertions about what people see. */
export function visibleText(message: { text: string; blocks: unknown[] }): string {
  const parts: string[] = [message.text];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else walk(value);
      }
    }
  };
  walk(message.blocks);
  // What a person sees: Slack shows &amp; &lt; &gt; as the characters they stand for.
  return parts.join('\n').replace(/&(amp|lt|gt);/g, (_, name: 'amp' | 'lt' | 'gt') => ({ amp: '&', lt: '<', gt: '>' })[name]);
}

/** A message's checkboxes as a person sees them: each option's text, ☑ when Slack shows it ticked (its initial_options). */
export function checkboxes(message: { blocks: unknown[] }): string[] {
  type Option = { text: { text: string }; value: string };
  const lines: string[] = [];
  for (const block of message.blocks as { elements?: { type: string; options?: Option[]; initial_options?: Option[] }[] }[]) {
    for (const element of block.elements ?? []) {
      if (element.type !== 'checkboxes') continue;
      const ticked = new Set((element.initial_options ?? []).map((o) => o.value));
      for (const option of element.options ?? []) lines.push(`${ticked.has(option.value) ? '☑' : '☐'} ${option.text.text}`);
    }
  }
  return lines;
}

/** The clock tminus keeps when a test gives it none: a store a test opens beside the bot dates what it writes by it. */
export const realClock = (): Date => new Date();

/** A clock that runs at real speed from `start`: for tests about the calendar. */
export function clockFrom(start: string): () => Date {
  const offset = Date.parse(start) - Date.now();
  return () => new Date(Date.now() + offset);
}
