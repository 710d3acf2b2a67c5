import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebClient } from '@slack/web-api';
import { RequestError } from 'octokit';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTminus, type Tminus } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { openDatabase, type DatabaseHandle } from '../../src/integrations/database/client.js';
import { releasePlans } from '../../src/integrations/database/schema.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { createLogger, secretsOf } from '../../src/logger.js';
import { DatadogStandIn } from '../../src/sandbox/datadog.js';
import { GitHubStandIn } from '../../src/sandbox/github.js';
import { SlackStandIn } from '../../src/sandbox/slack.js';
import { testRedisUrl } from '../support/env.js';
import {
  BOT_TOKEN,
  createTestDatabase,
  DEPLOY_WORKFLOW,
  deleteQueueKeys,
  deployWorkflow,
  FAST_POLICY,
  NO_GATES,
  RELEASES_CHANNEL,
  SIGNING_SECRET,
  startBot,
  startWorld,
  visibleText,
  waitFor,
  type Bot,
  type World,
} from '../support/harness.js';
import { botEnvironment, startBotProcess, type BotProcess } from '../support/process.js';

const POLICY = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 250ms
  runAppearTimeout: 20s
planning:
  enforceCadence: false
${NO_GATES}`;

const unique = () => randomBytes(6).toString('hex');

/** Fake credentials, each findable in the output if any of it leaks. */
const SECRETS = {
  botToken: `xoxb-SECRET-${unique()}`,
  signingSecret: `SECRET-signing-${unique()}`,
  githubToken: `ghs_SECRET${unique()}`,
  ddApiKey: `SECRET-dd-api-${unique()}`,
  ddAppKey: `SECRET-dd-app-${unique()}`,
  databasePassword: `SECRET-pg-${unique()}`,
  redisPassword: `SECRET-redis-${unique()}`,
};

/** The test Postgres trusts local connections and the test Redis has no password: both accept one in the URL. */
function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

function expectNoSecrets(output: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    if (output.includes(value)) throw new Error(`${name} leaked into the logs:\n${output.split('\n').filter((l) => l.includes(value)).join('\n')}`);
  }
}

describe('logs carry no credentials', () => {
  let world: World;
  const processes: BotProcess[] = [];

  beforeAll(async () => {
    // A world whose Slack, GitHub and Datadog accept only the secret credentials.
    const slack = await SlackStandIn.start({
      signingSecret: SECRETS.signingSecret,
      botToken: SECRETS.botToken,
      users: [{ id: 'U0ENG', name: 'erin', realName: 'Erin Engineer' }],
    });
    const github = await GitHubStandIn.start({ token: SECRETS.githubToken });
    const datadog = await DatadogStandIn.start({ apiKey: SECRETS.ddApiKey, appKey: SECRETS.ddAppKey });
    github.commit('main', 'feat: wallet top-ups (#12)');
    github.addTag('v1.2.0');
    github.addRelease('v1.2.0');
    github.commit('main', 'feat: admin portal search (#14)');
    github.defineWorkflow(DEPLOY_WORKFLOW, deployWorkflow());
    github.runCiOnEveryCommit([{ name: 'test' }]);
    const database = await createTestDatabase();
    const queuePrefix = `tminus-test-${process.pid}-${unique()}`;
    world = {
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
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await world?.close();
  });

  it('the logger scrubs them from error fields, messages, stacks, configuration and URLs', () => {
    const env = {
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      RELEASES_CHANNEL,
      GITHUB_TOKEN: SECRETS.githubToken,
      GITHUB_REPOSITORY: 'acme/app',
      DD_API_KEY: SECRETS.ddApiKey,
      DD_APP_KEY: SECRETS.ddAppKey,
      DATABASE_URL: `postgres://tminus:${SECRETS.databasePassword}@db.internal:5432/tminus`,
      REDIS_URL: `redis://:${SECRETS.redisPassword}@redis.internal:6379`,
    };
    const config = loadConfig(env);
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', secrets: secretsOf(config) }, { write: (line: string) => void lines.push(line) });

    // Octokit's error, as a client would throw it (Octokit itself hides the authorization header).
    const octokitError = new RequestError(`Bad credentials ${SECRETS.githubToken}`, 401, {
      request: { method: 'GET', url: `https://x-access-token:${SECRETS.githubToken}@api.github.com/repos/acme/app/tags`, headers: { authorization: `token ${SECRETS.githubToken}` } },
      response: { status: 401, url: 'https://api.github.com/repos/acme/app/tags', headers: { 'x-github-request-id': '1', 'set-cookie': SECRETS.githubToken }, data: { message: 'Bad credentials' } },
    });
    // Slack's WebClient error of the axios days, with the request's headers in its config.
    const slackError = Object.assign(new Error('An HTTP protocol error occurred: statusCode = 500'), {
      code: 'slack_webapi_http_error',
      config: { headers: { Authorization: `Bearer ${SECRETS.botToken}` }, data: `token=${SECRETS.botToken}&channel=C1` },
      original: { config: { headers: { Authorization: `Bearer ${SECRETS.botToken}` } } },
    });
    const inMessage = new Error(`connect failed: ${env.DATABASE_URL} and ${env.REDIS_URL} (key ${SECRETS.ddApiKey})`, { cause: new Error(`signature with ${SECRETS.signingSecret}`) });

    log.error({ err: octokitError, releaseId: 'r1' }, 'job failed');
    log.error({ err: slackError }, 'job failed');
    log.error({ err: inMessage }, 'job failed');
    log.error(inMessage);
    log.warn({ err: `plain text ${SECRETS.ddAppKey}` }, 'Datadog unavailable');
    log.info({ config, env }, 'configuration');
    log.debug({ headers: { authorization: `Bearer ${SECRETS.botToken}` }, body: JSON.stringify({ token: SECRETS.botToken }) }, `calling with ${SECRETS.botToken}`);

    const output = lines.join('');
    expectNoSecrets(output);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(7);
    // What is not secret stays readable.
    expect(output).toContain('Bad credentials');
    expect(output).toContain('postgres://tminus:[REDACTED]@db.internal:5432/tminus');
    expect(output).toContain('api.github.com/repos/acme/app/tags');
    expect(parsed[5]).toMatchObject({ config: { slack: { releasesChannel: RELEASES_CHANNEL, botToken: '[REDACTED]' }, github: { owner: 'acme', repo: 'app' } } });
  });

  it('tminus at debug level, through GitHub outages and refusals and Slack failures, logs none of them', async () => {
    const env = {
      ...botEnvironment(world, POLICY),
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      GITHUB_TOKEN: SECRETS.githubToken,
      DD_API_KEY: SECRETS.ddApiKey,
      DD_APP_KEY: SECRETS.ddAppKey,
      DATADOG_API_URL: world.datadog.url,
      DATABASE_URL: withPassword(world.databaseUrl, SECRETS.databasePassword),
      REDIS_URL: withPassword(world.redisUrl, SECRETS.redisPassword),
      LOG_LEVEL: 'debug',
    };
    // GitHub is down (500) as tminus starts: reading the released versions fails.
    world.github.outage({ status: 500 });
    const bot = await startBotProcess(env);
    processes.push(bot);
    await waitFor('the failed read of the tags', () => /"job":"sync-released-versions"[^\n]*"msg":"job failed"/.test(bot.output()));

    // A forged request: Bolt refuses it.
    const forged = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' }, { signingSecret: 'not-the-secret' });
    expect(forged.status).toBe(401);

    // GitHub is back; the release message fails to post (Slack 500s), and GitHub refuses the tag (401).
    world.github.outage(false);
    world.slack.failNext('chat.postMessage', { status: 500 }, 3);
    world.github.failNext('POST', /\/git\/refs$/, 401);
    await waitFor(
      'the tags to be read, and the release to start',
      async () => JSON.stringify((await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' })).body).includes('Starting minor release'),
      40_000,
    );
    await waitFor('the Slack failure', () => /"job":"announce-release"[^\n]*"msg":"job failed"/.test(bot.output()));
    await waitFor('the refused tag', () => /"job":"create-tag"[^\n]*GitHub answered 401[^\n]*"msg":"job failed"/.test(bot.output()));

    bot.child.kill('SIGTERM');
    await bot.exited;
    expectNoSecrets(bot.output());
  }, 120_000);
});

/** A TCP proxy in front of the test Redis: closing it is Redis going away, for this tminus only. */
class RedisProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    if (this.server) return;
    const target = new URL(testRedisUrl());
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe('/healthz says ok or down, and the log says why', () => {
  let world: World;
  let database: DatabaseHandle;
  let tminus: Tminus | undefined;
  const proxy = new RedisProxy();
  const lines: string[] = [];

  beforeAll(async () => {
    world = await startWorld();
    await proxy.open();
    database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
    tminus = await startTminus({
      port: 0,
      slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
      github: createReleaseRepository({ token: world.github.token, apiUrl: world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
      database,
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      queuePrefix: world.queuePrefix,
      policy: loadPolicy(FAST_POLICY, 'test policy'),
      log: createLogger({ level: 'warn', secrets: [] }, { write: (line: string) => void lines.push(line) }),
      worker: false,
    });
  });
  afterAll(async () => {
    await proxy.open();
    await tminus?.stop();
    await proxy.close();
    await database?.close();
    await world?.close();
  });

  const healthz = async () => {
    const res = await fetch(`http://127.0.0.1:${tminus!.port}/healthz`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const logged = (msg: string) => lines.map((l) => JSON.parse(l) as { msg: string; dependency?: string; err?: { message: string } }).filter((l) => l.msg === msg);

  it('answers 503 with redis down and no error text while Redis is unreachable, logs the reason once, and recovers', async () => {
    expect(await healthz()).toEqual({ status: 200, body: { ok: true, postgres: 'ok', redis: 'ok' } });

    await proxy.close();
    const down = await waitFor('Redis to be seen as down', async () => {
      const answer = await healthz();
      return answer.status === 503 ? answer : undefined;
    });
    // Exactly these keys and values: no error message, host or port for whoever asks.
    expect(down.body).toEqual({ ok: false, postgres: 'ok', redis: 'down' });
    expect(await healthz()).toEqual(down);
    expect(await healthz()).toEqual(down);
    const reasons = logged('health: redis is down');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.dependency).toBe('redis');
    expect(reasons[0]!.err?.message).toBeTruthy();

    await proxy.open();
    await waitFor('Redis to be back', async () => (await healthz()).status === 200);
    expect(await healthz()).toEqual({ status: 200, body: { ok: true, postgres: 'ok', redis: 'ok' } });
    expect(logged('health: redis is back')).toHaveLength(1);
    expect(logged('health: redis is down')).toHaveLength(1);
  });
});

describe('migrations when replicas start together', () => {
  const journal = JSON.parse(readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: { tag: string }[] };

  async function appliedMigrations(url: string): Promise<{ total: number; distinct: number }> {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ total: number; distinct: number }[]>`select count(*)::int as total, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations`;
      return row!;
    } finally {
      await sql.end();
    }
  }

  it('three openDatabase calls at once on a fresh database all resolve, each migration applied once', async () => {
    const fresh = await createTestDatabase();
    try {
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ url: fresh.url, dataDir: '' })));
      await Promise.all(handles.map((h) => h.ping()));
      await Promise.all(handles.map((h) => h.close()));
      expect(await appliedMigrations(fresh.url)).toEqual({ total: journal.entries.length, distinct: journal.entries.length });
    } finally {
      await fresh.drop();
    }
  });

  it('two tminus processes started at once on a fresh database: one migrates, both run', async () => {
    const world = await startWorld();
    const processes: BotProcess[] = [];
    try {
      const env = botEnvironment(world, POLICY);
      const started = await Promise.allSettled([startBotProcess(env, 90_000), startBotProcess(env, 90_000)]);
      for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      for (const p of processes) expect((await fetch(`http://127.0.0.1:${p.port}/healthz`)).status).toBe(200);
      expect(await appliedMigrations(world.databaseUrl)).toEqual({ total: journal.entries.length, distinct: journal.entries.length });
    } finally {
      for (const p of processes) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
      await world.close();
    }
  }, 150_000);
});

const CHECKLIST_POLICY = `
statusUpdates:
  interval: 2s
deploy:
  pollInterval: 200ms
  runAppearTimeout: 4s
roles:
  qaLead: { users: [U0ENG] }
checklists:
  before72h: { before: 40s }
  before24h: { before: 39s }
  before4h: { before: 38s }
communication:
  announceBefore: 45s
planning:
  enforceCadence: false
  catchUpGrace: 10m
`;

describe('redraws that clicks ask for coalesce', () => {
  let world: World;
  let bot: Bot;
  let parentTs: string;

  beforeAll(async () => {
    world = await startWorld();
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: world.slack.apiUrl });
    parentTs = (await slack.chat.postMessage({ channel: RELEASES_CHANNEL, text: '🗓️ Release v1.3.0 planned' })).ts!;
    bot = await startBot(world, { policy: CHECKLIST_POLICY, planScheduleCron: '*/1 * * * * *' });
    await bot.database.db.insert(releasePlans).values({
      version: 'v1.3.0',
      type: 'minor',
      // The 72 h checklist (40 s before, in this policy) falls due a few seconds from now; T-0 stays well ahead.
      plannedAt: new Date(Date.now() + 45_000),
      requestedBy: 'U0ENG',
      channelId: RELEASES_CHANNEL,
      threadTs: parentTs,
      state: 'planned',
      plan: { base: 'v1.2.0', head: 'main', advisedType: 'minor', sections: { features: [], fixes: [], improvements: [], breaking: [], migrations: [], other: [] } },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('ten rapid ticks queue at most a couple of checklist redraws, and the message ends showing all ten', async () => {
    const checklist = () => world.slack.thread(RELEASES_CHANNEL, parentTs).find((m) => m.text.startsWith('72 Hours Before Release'));
    const posted = await waitFor('the 72 h checklist', checklist, 40_000);
    // tminus's own ticks redraw the message without this job: every one counted below is a click's.
    const refreshes = async () => (await bot.tminus.jobs.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])).filter((j) => j.name === 'refresh-checklist');
    expect(await refreshes()).toHaveLength(0);

    type Checkboxes = { type: string; action_id: string; options: { value: string; text: { text: string } }[]; initial_options?: { value: string }[] };
    const elements = (posted.blocks as { type: string; block_id?: string; elements?: Checkboxes[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => (b.elements ?? []).filter((e) => e.type === 'checkboxes').map((e) => ({ blockId: b.block_id!, element: e })));
    const open = elements.flatMap(({ blockId, element }) =>
      element.options
        // Items tminus checks by itself may be ticked by it meanwhile: the clicks take the others.
        .filter((o) => !o.text.text.includes('tminus checks') && !(element.initial_options ?? []).some((i) => i.value === o.value))
        .map((o) => ({ blockId, actionId: element.action_id, value: o.value })),
    );
    expect(open.length).toBeGreaterThanOrEqual(11);
    const clicks = open.slice(0, 10);

    const answers = await Promise.all(
      clicks.map((c) =>
        world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: posted.ts, actionId: c.actionId, blockId: c.blockId, selectedOptions: [{ value: c.value }] }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));

    const final = await waitFor('the checklist to show all ten ticks', () => {
      const m = checklist();
      return m && (visibleText(m).match(/<@U0ENG> at/g) ?? []).length === 10 ? m : undefined;
    });
    expect(final.text).toMatch(/\d+\/\d+ ticked/);
    await waitFor('the redraws to finish', async () => (await refreshes()).every((j) => j.finishedOn !== undefined));
    const jobs = await refreshes();
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.length).toBeLessThanOrEqual(3);

    // A later click is not swallowed by the burst's finished redraw: it gets one of its own.
    const later = open[10]!;
    await world.slack.sendBlockAction(bot.eventsUrl, { userId: 'U0ENG', channelId: RELEASES_CHANNEL, messageTs: posted.ts, actionId: later.actionId, blockId: later.blockId, selectedOptions: [{ value: later.value }] });
    await waitFor('the eleventh tick', () => {
      const m = checklist();
      return m && (visibleText(m).match(/<@U0ENG> at/g) ?? []).length === 11;
    });
    await waitFor('that redraw to finish', async () => (await refreshes()).every((j) => j.finishedOn !== undefined));
    expect(await refreshes()).toHaveLength(jobs.length + 1);
  });
});
