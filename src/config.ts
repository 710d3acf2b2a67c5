import { isIP } from 'node:net';
import { resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

const optionalUrl = z.url().optional();
const listenHost = z
  .string()
  .refine((v) => isIP(v) !== 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(v), 'must be an address to listen on, such as 127.0.0.1 or 0.0.0.0');

/**
 * The environment tminus runs in. Parsed once, in main.ts; anything missing or malformed stops the
 * process with a message that names the variable.
 */
export const environmentSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // Unset: every interface, as behind a load balancer.
    HOST: listenHost.optional(),
    SLACK_SIGNING_SECRET: z.string().min(1),
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)'),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
    SLACK_API_URL: optionalUrl,
    RELEASES_CHANNEL: z.string().regex(/^[CG][A-Z0-9]+$/, 'must be a channel id such as C0123456789'),
    GITHUB_TOKEN: z.string().min(1),
    GITHUB_API_URL: z.url().default('https://api.github.com'),
    GITHUB_REPOSITORY: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'),
    DEPLOY_WORKFLOW: z.string().min(1).optional(),
    // Set: POST /github/webhook takes GitHub's deliveries signed with it. Unset: tminus only polls GitHub.
    GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
    // Set: GET /metrics wants `Authorization: Bearer <it>`. Unset: /metrics is open (keep it off the internet).
    METRICS_TOKEN: z.string().min(1).optional(),
    DD_API_KEY: z.string().min(1).optional(),
    DD_APP_KEY: z.string().min(1).optional(),
    DD_SITE: z.string().min(1).default('datadoghq.com'),
    DATADOG_API_URL: optionalUrl,
    // Set (with STATUSPAGE_PAGE_ID): the hosted status page follows each release (policy communication.statusPage).
    STATUSPAGE_API_KEY: z.string().min(1).optional(),
    STATUSPAGE_PAGE_ID: z.string().regex(/^[a-z0-9]+$/i, 'must be the page id from the Statuspage API page (letters and digits)').optional(),
    STATUSPAGE_API_URL: optionalUrl,
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    // Unset: the job queues run on the database (BullMQ's PostgreSQL backend), so Redis is optional.
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
    QUEUE_PREFIX: z.string().regex(/^[\w-]+$/).default('tminus'),
    RELEASE_POLICY: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // How often planned releases are scanned for due checklists, announcements and steps (cron, 5 or 6 fields).
    PLAN_SCHEDULE_CRON: z.string().refine((v) => cron.validate(v), 'must be a cron expression like "* * * * *"').optional(),
  })
  .transform((env) => ({
    ...(env.PLAN_SCHEDULE_CRON ? { planScheduleCron: env.PLAN_SCHEDULE_CRON } : {}),
    githubWebhookSecret: env.GITHUB_WEBHOOK_SECRET,
    metricsToken: env.METRICS_TOKEN,
    port: env.PORT,
    host: env.HOST,
    slack: {
      signingSecret: env.SLACK_SIGNING_SECRET,
      botToken: env.SLACK_BOT_TOKEN,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      releasesChannel: env.RELEASES_CHANNEL,
    },
    github: {
      token: env.GITHUB_TOKEN,
      apiUrl: env.GITHUB_API_URL,
      owner: env.GITHUB_REPOSITORY.split('/')[0]!,
      repo: env.GITHUB_REPOSITORY.split('/')[1]!,
      deployWorkflow: env.DEPLOY_WORKFLOW,
    },
    datadog: {
      apiKey: env.DD_API_KEY,
      appKey: env.DD_APP_KEY,
      site: env.DD_SITE,
      apiUrl: env.DATADOG_API_URL,
    },
    ...(env.STATUSPAGE_API_KEY && env.STATUSPAGE_PAGE_ID ? { statusPage: { apiKey: env.STATUSPAGE_API_KEY, pageId: env.STATUSPAGE_PAGE_ID, apiUrl: env.STATUSPAGE_API_URL } } : {}),
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    releasePolicyPath: env.RELEASE_POLICY,
    logLevel: env.LOG_LEVEL,
  }));

export type SlackConfig = z.output<typeof environmentSchema> & { mode: 'slack' };

/** With no SLACK_* variable at all, `npm start` runs the local sandbox: Slack, GitHub and Datadog stand-ins. */
export const sandboxSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // Its page lets anyone act as anyone: this machine only, unless said otherwise.
    HOST: listenHost.default('127.0.0.1'),
    SANDBOX_ALLOW_EXTERNAL: z.literal('1', { error: 'must be 1 (or unset)' }).optional(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    DATA_DIR: z.string().min(1).default('./.data/sandbox'),
    // Unset: the job queues run on the database (BullMQ's PostgreSQL backend), so Redis is optional.
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
    QUEUE_PREFIX: z.string().regex(/^[\w-]+$/).default('tminus-sandbox'),
    RELEASE_POLICY: z.string().min(1).optional(),
    SANDBOX_SPEED: z.coerce.number().min(1).max(3600).default(60),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((env) => ({
    mode: 'sandbox' as const,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    releasePolicyPath: env.RELEASE_POLICY,
    speed: env.SANDBOX_SPEED,
    logLevel: env.LOG_LEVEL,
  }));
/** `host` may be left out by callers that build one (tests): the sandbox then listens on 127.0.0.1. */
export type SandboxConfig = Omit<z.output<typeof sandboxSchema>, 'host'> & { host?: string };

export type Config = SlackConfig | SandboxConfig;

/** tminus's own Slack credentials: without one of them, Slack mode was chosen by some other SLACK_* variable. */
const SLACK_CREDENTIALS = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'];
/**
 * Secrets and the places tminus connects to: empty, they are a secret that was not filled in, and a default
 * (public GitHub, Datadog's US site, a local database) must not silently stand in for them. Every SLACK_* too.
 */
const NEVER_EMPTY = [
  'RELEASES_CHANNEL',
  'GITHUB_TOKEN',
  'GITHUB_API_URL',
  'GITHUB_REPOSITORY',
  'DEPLOY_WORKFLOW',
  'GITHUB_WEBHOOK_SECRET',
  'METRICS_TOKEN',
  'DD_API_KEY',
  'DD_APP_KEY',
  'DD_SITE',
  'DATADOG_API_URL',
  'STATUSPAGE_API_KEY',
  'STATUSPAGE_PAGE_ID',
  'STATUSPAGE_API_URL',
  'DATABASE_URL',
  'REDIS_URL',
];
const PRODUCTION_QUEUE_PREFIX = 'tminus';
const PRODUCTION_DATA_DIR = './.data';
const WILDCARD_HOSTS = ['0.0.0.0', '::'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment; the error names every bad variable and says what it must be. With no SLACK_*
 * variable present at all the result is the sandbox's configuration.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.keys(env).filter((name) => env[name] !== undefined);
  const slackVariables = present.filter((name) => name.startsWith('SLACK_'));
  const sandbox = slackVariables.length === 0;
  const empty = present.filter((name) => env[name] === '' && (name.startsWith('SLACK_') || NEVER_EMPTY.includes(name)));
  // Any other empty variable (`PORT=`) means unset, as in most tools.
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') given[name] = value;

  const lines = empty.map((name) =>
    name.startsWith('SLACK_')
      ? `${name} is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox`
      : `${name} is set but empty: fill it in, or unset it`,
  );
  const result = sandbox ? sandboxSchema.safeParse(given) : environmentSchema.safeParse(given);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join('.');
      if (empty.includes(name)) continue;
      const missing = issue.code === 'invalid_type' && given[name] === undefined;
      lines.push(missing ? `${name} is required but not set` : `${name} ${issue.message}`);
    }
  }
  lines.push(...(sandbox ? sandboxRefusals(given) : slackRefusals(given)));
  if (!sandbox && !SLACK_CREDENTIALS.some((name) => present.includes(name)) && lines.length > 0) {
    lines.push(`(tminus runs with Slack because ${slackVariables.join(', ')} ${slackVariables.length === 1 ? 'is' : 'are'} set: unset every SLACK_* variable to run the local sandbox)`);
  }
  if (lines.length > 0 || !result.success) throw new ConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
  return sandbox ? (result.data as SandboxConfig) : { ...(result.data as z.output<typeof environmentSchema>), mode: 'slack' };
}

/** The sandbox is for this machine: it must not reach data that may be production's. Checked before anything connects. */
function sandboxRefusals(env: Record<string, string>): string[] {
  const lines: string[] = [];
  const allowExternal = env.SANDBOX_ALLOW_EXTERNAL === '1';
  if (env.DATABASE_URL && !allowExternal) {
    lines.push('DATABASE_URL is set, and the sandbox refuses a database that may hold real releases (it keeps its own under DATA_DIR): unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway');
  }
  if (env.REDIS_URL && !allowExternal) {
    const host = urlHost(env.REDIS_URL);
    if (host === undefined || !isLoopbackHost(host)) {
      lines.push(`REDIS_URL points at ${host || 'no host this sandbox can read'}, not this machine, and the sandbox refuses a Redis that may be production's: unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway`);
    }
  }
  if (env.QUEUE_PREFIX === PRODUCTION_QUEUE_PREFIX) {
    lines.push(`QUEUE_PREFIX must not be production's (${PRODUCTION_QUEUE_PREFIX}) in the sandbox: unset it (tminus-sandbox) or choose another`);
  }
  if (env.DATA_DIR && resolve(env.DATA_DIR) === resolve(PRODUCTION_DATA_DIR)) {
    lines.push(`DATA_DIR must not be production's (${PRODUCTION_DATA_DIR}) in the sandbox: unset it (./.data/sandbox) or choose another`);
  }
  return lines;
}

function slackRefusals(env: Record<string, string>): string[] {
  // One without the other would silently leave the status page alone.
  if (Boolean(env.STATUSPAGE_API_KEY) !== Boolean(env.STATUSPAGE_PAGE_ID)) {
    return [`${env.STATUSPAGE_API_KEY ? 'STATUSPAGE_PAGE_ID' : 'STATUSPAGE_API_KEY'} is required when ${env.STATUSPAGE_API_KEY ? 'STATUSPAGE_API_KEY' : 'STATUSPAGE_PAGE_ID'} is set`];
  }
  // Bolt's Socket Mode serves /healthz on every interface and takes no host: HOST could not narrow it.
  if (env.SLACK_APP_TOKEN && env.HOST && !WILDCARD_HOSTS.includes(env.HOST)) {
    return ['HOST cannot narrow where tminus listens in Socket Mode (SLACK_APP_TOKEN is set): Bolt serves /healthz on every interface there; unset HOST'];
  }
  return [];
}

/** The host of a URL as written (`[::1]` for IPv6); undefined when it does not parse. */
function urlHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** 127.0.0.0/8, ::1 or localhost: this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}
