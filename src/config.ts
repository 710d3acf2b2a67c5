import cron from 'node-cron';
import { z } from 'zod';

const optionalUrl = z.url().optional();

/**
 * The environment tminus runs in. Parsed once, in main.ts; anything missing or malformed stops the
 * process with a message that names the variable.
 */
export const environmentSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    SLACK_SIGNING_SECRET: z.string().min(1),
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)'),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
    SLACK_API_URL: optionalUrl,
    RELEASES_CHANNEL: z.string().regex(/^[CG][A-Z0-9]+$/, 'must be a channel id such as C0123456789'),
    GITHUB_TOKEN: z.string().min(1),
    GITHUB_API_URL: z.url().default('https://api.github.com'),
    GITHUB_REPOSITORY: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'),
    DEPLOY_WORKFLOW: z.string().min(1).optional(),
    DD_API_KEY: z.string().min(1).optional(),
    DD_APP_KEY: z.string().min(1).optional(),
    DD_SITE: z.string().min(1).default('datadoghq.com'),
    DATADOG_API_URL: optionalUrl,
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z.string().regex(/^[\w-]+$/).default('tminus'),
    RELEASE_POLICY: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // How often planned releases are scanned for due checklists, announcements and steps (cron, 5 or 6 fields).
    PLAN_SCHEDULE_CRON: z.string().refine((v) => cron.validate(v), 'must be a cron expression like "* * * * *"').optional(),
  })
  .transform((env) => ({
    ...(env.PLAN_SCHEDULE_CRON ? { planScheduleCron: env.PLAN_SCHEDULE_CRON } : {}),
    port: env.PORT,
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
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    releasePolicyPath: env.RELEASE_POLICY,
    logLevel: env.LOG_LEVEL,
  }));

export type SlackConfig = z.output<typeof environmentSchema> & { mode: 'slack' };

/** With no Slack credentials at all, `npm start` runs the local sandbox: Slack, GitHub and Datadog stand-ins. */
export const sandboxSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    DATA_DIR: z.string().min(1).default('./.data/sandbox'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z.string().regex(/^[\w-]+$/).default('tminus-sandbox'),
    RELEASE_POLICY: z.string().min(1).optional(),
    SANDBOX_SPEED: z.coerce.number().min(1).max(3600).default(60),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((env) => ({
    mode: 'sandbox' as const,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    releasePolicyPath: env.RELEASE_POLICY,
    speed: env.SANDBOX_SPEED,
    logLevel: env.LOG_LEVEL,
  }));
export type SandboxConfig = z.output<typeof sandboxSchema>;

export type Config = SlackConfig | SandboxConfig;

const SLACK_CREDENTIALS = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment; the error names every bad variable and says what it must be. Without any Slack
 * credential the result is the sandbox's configuration.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=`) means unset, as in most tools.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const sandbox = !SLACK_CREDENTIALS.some((name) => given[name] !== undefined);
  const result = sandbox ? sandboxSchema.safeParse(given) : environmentSchema.safeParse(given);
  if (result.success) return sandbox ? (result.data as SandboxConfig) : { ...(result.data as z.output<typeof environmentSchema>), mode: 'slack' };
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const missing = issue.code === 'invalid_type' && given[name] === undefined;
    return missing ? `${name} is required but not set` : `${name} ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
}
