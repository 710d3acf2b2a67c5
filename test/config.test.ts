import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type SlackConfig } from '../src/config.js';

/** The least an environment needs: every required variable, nothing optional. */
const REQUIRED = {
  SLACK_SIGNING_SECRET: 'signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-123-456',
  RELEASES_CHANNEL: 'C0RELEASES',
  GITHUB_TOKEN: 'ghs_token',
  GITHUB_REPOSITORY: 'acme/wallet',
} as const;

/** The Slack-mode configuration for `env`; fails the test when it parses into the sandbox's. */
function slackConfig(env: Record<string, string | undefined>): SlackConfig {
  const config = loadConfig(env);
  if (config.mode !== 'slack') throw new Error('expected the Slack configuration');
  return config;
}

/** The ConfigError loadConfig throws for `env`; fails the test when it parses instead. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('parses the required variables into the nested shape, with defaults for the rest', () => {
    expect(loadConfig({ ...REQUIRED })).toEqual({
      mode: 'slack',
      port: 3000,
      host: undefined,
      slack: {
        signingSecret: 'signing-secret',
        botToken: 'xoxb-123-456',
        appToken: undefined,
        apiUrl: undefined,
        releasesChannel: 'C0RELEASES',
      },
      github: {
        token: 'ghs_token',
        apiUrl: 'https://api.github.com',
        owner: 'acme',
        repo: 'wallet',
        deployWorkflow: undefined,
      },
      datadog: { apiKey: undefined, appKey: undefined, site: 'datadoghq.com', apiUrl: undefined },
      databaseUrl: undefined,
      dataDir: './.data',
      // Unset: the job queues run on the database.
      redisUrl: undefined,
      queuePrefix: 'tminus',
      releasePolicyPath: undefined,
      logLevel: 'info',
    });
  });

  it('takes every optional variable when set', () => {
    const config = slackConfig({
      ...REQUIRED,
      PORT: '8080',
      SLACK_APP_TOKEN: 'xapp-1-abc',
      SLACK_API_URL: 'http://127.0.0.1:4000/api/',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3',
      GITHUB_REPOSITORY: 'acme-corp/wallet.web',
      DEPLOY_WORKFLOW: 'deploy-production.yml',
      DD_API_KEY: 'dd-api',
      DD_APP_KEY: 'dd-app',
      DD_SITE: 'datadoghq.eu',
      DATABASE_URL: 'postgresql://tminus:tminus@db:5432/tminus',
      DATA_DIR: '/var/lib/tminus',
      REDIS_URL: 'rediss://cache:6380',
      QUEUE_PREFIX: 'tminus-staging',
      RELEASE_POLICY: './policy.yaml',
      LOG_LEVEL: 'debug',
    });
    expect(config.port).toBe(8080);
    expect(config.slack.appToken).toBe('xapp-1-abc');
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:4000/api/');
    expect(config.github).toEqual({
      token: 'ghs_token',
      apiUrl: 'https://ghe.example.com/api/v3',
      owner: 'acme-corp',
      repo: 'wallet.web',
      deployWorkflow: 'deploy-production.yml',
    });
    expect(config.datadog).toEqual({ apiKey: 'dd-api', appKey: 'dd-app', site: 'datadoghq.eu', apiUrl: undefined });
    expect(config.databaseUrl).toBe('postgresql://tminus:tminus@db:5432/tminus');
    expect(config.dataDir).toBe('/var/lib/tminus');
    expect(config.redisUrl).toBe('rediss://cache:6380');
    expect(config.queuePrefix).toBe('tminus-staging');
    expect(config.releasePolicyPath).toBe('./policy.yaml');
    expect(config.logLevel).toBe('debug');
  });

  it('accepts a private channel id (G…) as the releases channel', () => {
    expect(slackConfig({ ...REQUIRED, RELEASES_CHANNEL: 'G01ABCDEF' }).slack.releasesChannel).toBe('G01ABCDEF');
  });

  it.each(Object.keys(REQUIRED))('names %s when it is missing', (name) => {
    const env: Record<string, string | undefined> = { ...REQUIRED };
    delete env[name];
    const error = configError(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(`Invalid environment:\n  ${name} is required but not set`);
  });

  it('treats an ordinary variable set but empty (PORT=) as unset', () => {
    expect(loadConfig({ ...REQUIRED, PORT: '', HOST: '', LOG_LEVEL: '', QUEUE_PREFIX: '' })).toMatchObject({ port: 3000, host: undefined, logLevel: 'info', queuePrefix: 'tminus' });
    expect(loadConfig({ PORT: '', HOST: '', DATA_DIR: '' })).toMatchObject({ mode: 'sandbox', port: 3000, host: '127.0.0.1', dataDir: './.data/sandbox' });
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxp-user-token', 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)'],
    ['SLACK_APP_TOKEN', 'xoxb-not-an-app-token', 'SLACK_APP_TOKEN must be an app-level token (xapp-…)'],
    ['RELEASES_CHANNEL', '#releases', 'RELEASES_CHANNEL must be a channel id such as C0123456789'],
    ['RELEASES_CHANNEL', 'c0releases', 'RELEASES_CHANNEL must be a channel id such as C0123456789'],
    ['GITHUB_REPOSITORY', 'wallet', 'GITHUB_REPOSITORY must be owner/repo'],
    ['GITHUB_REPOSITORY', 'acme/wallet/extra', 'GITHUB_REPOSITORY must be owner/repo'],
    ['DATABASE_URL', 'mysql://db/tminus', 'DATABASE_URL must be a postgres:// URL'],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL must be a redis:// URL'],
  ])('names a malformed %s (%s)', (name, value, line) => {
    const error = configError({ ...REQUIRED, [name]: value });
    expect(error.message).toBe(`Invalid environment:\n  ${line}`);
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['GITHUB_API_URL', 'not a url'],
    ['SLACK_API_URL', 'slack'],
    ['LOG_LEVEL', 'verbose'],
  ])('names a malformed %s (%s)', (name, value) => {
    const lines = configError({ ...REQUIRED, [name]: value }).message.split('\n').slice(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^  ${name} `));
    expect(lines[0]).not.toContain('is required but not set');
  });

  it('lists every problem at once, missing and malformed alike', () => {
    const error = configError({
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      RELEASES_CHANNEL: 'releases',
      GITHUB_TOKEN: 'ghs_token',
      GITHUB_REPOSITORY: 'wallet',
      PORT: 'eighty',
      DATABASE_URL: 'mysql://db/tminus',
    });
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid environment:');
    expect(lines.slice(1).map((line) => line.trim().split(' ')[0]).sort()).toEqual(
      ['DATABASE_URL', 'GITHUB_REPOSITORY', 'PORT', 'RELEASES_CHANNEL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'].sort(),
    );
    expect(error.message).toContain('SLACK_SIGNING_SECRET is required but not set');
    expect(error.message).toContain('SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
    expect(error.message).toContain('RELEASES_CHANNEL must be a channel id such as C0123456789');
    expect(error.message).toContain('GITHUB_REPOSITORY must be owner/repo');
    expect(error.message).toContain('DATABASE_URL must be a postgres:// URL');
    expect(error.message).toMatch(/\n {2}PORT \S/);
  });

  it('runs the sandbox when no Slack credential is set at all', () => {
    expect(loadConfig({ HOME: '/root' })).toEqual({
      mode: 'sandbox',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './.data/sandbox',
      redisUrl: undefined,
      queuePrefix: 'tminus-sandbox',
      releasePolicyPath: undefined,
      speed: 60,
      logLevel: 'info',
    });
    expect(loadConfig({ SANDBOX_SPEED: '600', PORT: '4000' })).toMatchObject({ mode: 'sandbox', speed: 600, port: 4000 });
    expect(configError({ SANDBOX_SPEED: 'fast' }).message).toContain('SANDBOX_SPEED');
  });

  it('lists every other required variable once one Slack credential is given', () => {
    expect(configError({ SLACK_SIGNING_SECRET: 'signing-secret' }).message).toBe(
      [
        'Invalid environment:',
        '  SLACK_BOT_TOKEN is required but not set',
        '  RELEASES_CHANNEL is required but not set',
        '  GITHUB_TOKEN is required but not set',
        '  GITHUB_REPOSITORY is required but not set',
      ].join('\n'),
    );
  });

  it('takes the planned-release scheduler cron from PLAN_SCHEDULE_CRON, and refuses one that is not cron', () => {
    expect(loadConfig({ ...REQUIRED, PLAN_SCHEDULE_CRON: '*/1 * * * * *' })).toMatchObject({ planScheduleCron: '*/1 * * * * *' });
    expect(() => loadConfig({ ...REQUIRED, PLAN_SCHEDULE_CRON: 'every minute' })).toThrow(/PLAN_SCHEDULE_CRON/);
  });

  it('ignores variables it does not know', () => {
    const config = loadConfig({ ...REQUIRED, HOME: '/root', PATH: '/usr/bin', NODE_ENV: 'production' });
    expect(Object.keys(config).sort()).toEqual(
      ['dataDir', 'databaseUrl', 'datadog', 'github', 'githubWebhookSecret', 'host', 'logLevel', 'metricsToken', 'mode', 'port', 'queuePrefix', 'redisUrl', 'releasePolicyPath', 'slack'].sort(),
    );
  });

  /** Which mode an environment starts, and where it listens. */
  it.each<[string, Record<string, string | undefined>, Record<string, unknown>]>([
    ['nothing set: the sandbox, on loopback', {}, { mode: 'sandbox', host: '127.0.0.1', queuePrefix: 'tminus-sandbox', dataDir: './.data/sandbox' }],
    ['a variable the environment lists as undefined is absent', { SLACK_BOT_TOKEN: undefined }, { mode: 'sandbox' }],
    ['HOST widens the sandbox', { HOST: '0.0.0.0' }, { mode: 'sandbox', host: '0.0.0.0' }],
    ['HOST may name this machine', { HOST: 'localhost' }, { mode: 'sandbox', host: 'localhost' }],
    ['HOST may be IPv6', { HOST: '::1' }, { mode: 'sandbox', host: '::1' }],
    ['a local Redis by name', { REDIS_URL: 'redis://localhost:6380' }, { mode: 'sandbox', redisUrl: 'redis://localhost:6380' }],
    ['a local Redis anywhere in 127/8', { REDIS_URL: 'redis://:pw@127.1.2.3:6379/2' }, { mode: 'sandbox' }],
    ['a local Redis over IPv6', { REDIS_URL: 'redis://[::1]:6379' }, { mode: 'sandbox' }],
    ['a non-local Redis when allowed', { REDIS_URL: 'rediss://cache.internal:6380', SANDBOX_ALLOW_EXTERNAL: '1' }, { mode: 'sandbox', redisUrl: 'rediss://cache.internal:6380' }],
    ['a database when allowed', { DATABASE_URL: 'postgres://db.internal/prod', SANDBOX_ALLOW_EXTERNAL: '1' }, { mode: 'sandbox', databaseUrl: 'postgres://db.internal/prod' }],
    ['a queue prefix of its own', { QUEUE_PREFIX: 'tminus-sandbox-alice' }, { mode: 'sandbox', queuePrefix: 'tminus-sandbox-alice' }],
    ['GITHUB_TOKEN in a developer shell does not stop the sandbox', { GITHUB_TOKEN: 'ghp_from_the_shell' }, { mode: 'sandbox' }],
    ['Slack mode listens on every interface by default', { ...REQUIRED }, { mode: 'slack', host: undefined }],
    ['HOST narrows Slack mode', { ...REQUIRED, HOST: '10.0.0.5' }, { mode: 'slack', host: '10.0.0.5' }],
    ['Socket Mode with a wildcard HOST', { ...REQUIRED, SLACK_APP_TOKEN: 'xapp-1', HOST: '0.0.0.0' }, { mode: 'slack', host: '0.0.0.0' }],
    ['Slack mode may use any Redis and database', { ...REQUIRED, REDIS_URL: 'redis://cache.internal:6379', DATABASE_URL: 'postgres://db.internal/prod' }, { mode: 'slack' }],
  ])('accepts %s', (_, env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  /** Environments refused, each with the exact message: a secret left empty, or a sandbox that could reach real data. */
  it.each<[string, Record<string, string>, string[]]>([
    [
      'SLACK_BOT_TOKEN= alone (a secret not filled in) is not the sandbox',
      { SLACK_BOT_TOKEN: '' },
      [
        'SLACK_BOT_TOKEN is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox',
        'SLACK_SIGNING_SECRET is required but not set',
        'RELEASES_CHANNEL is required but not set',
        'GITHUB_TOKEN is required but not set',
        'GITHUB_REPOSITORY is required but not set',
      ],
    ],
    [
      'all three Slack variables empty',
      { SLACK_SIGNING_SECRET: '', SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '', ...REQUIRED_BUT_SLACK() },
      [
        'SLACK_SIGNING_SECRET is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox',
        'SLACK_BOT_TOKEN is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox',
        'SLACK_APP_TOKEN is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox',
      ],
    ],
    [
      'an empty signing secret beside a good token',
      { ...REQUIRED, SLACK_SIGNING_SECRET: '' },
      ['SLACK_SIGNING_SECRET is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox'],
    ],
    [
      'an empty optional SLACK_* (no silent default either)',
      { ...REQUIRED, SLACK_API_URL: '' },
      ['SLACK_API_URL is set but empty: fill it in, or unset every SLACK_* variable to run the local sandbox'],
    ],
    [
      'a SLACK_* variable tminus does not know, alone',
      { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x' },
      [
        'SLACK_SIGNING_SECRET is required but not set',
        'SLACK_BOT_TOKEN is required but not set',
        'RELEASES_CHANNEL is required but not set',
        'GITHUB_TOKEN is required but not set',
        'GITHUB_REPOSITORY is required but not set',
        '(tminus runs with Slack because SLACK_WEBHOOK_URL is set: unset every SLACK_* variable to run the local sandbox)',
      ],
    ],
    ['an empty GITHUB_TOKEN', { ...REQUIRED, GITHUB_TOKEN: '' }, ['GITHUB_TOKEN is set but empty: fill it in, or unset it']],
    ['an empty GITHUB_API_URL (public GitHub must not stand in for Enterprise)', { ...REQUIRED, GITHUB_API_URL: '' }, ['GITHUB_API_URL is set but empty: fill it in, or unset it']],
    [
      'empty Datadog keys and site',
      { ...REQUIRED, DD_API_KEY: '', DD_APP_KEY: '', DD_SITE: '' },
      ['DD_API_KEY is set but empty: fill it in, or unset it', 'DD_APP_KEY is set but empty: fill it in, or unset it', 'DD_SITE is set but empty: fill it in, or unset it'],
    ],
    ['an empty DATABASE_URL (not a silent local database)', { ...REQUIRED, DATABASE_URL: '' }, ['DATABASE_URL is set but empty: fill it in, or unset it']],
    ['an empty REDIS_URL', { ...REQUIRED, REDIS_URL: '' }, ['REDIS_URL is set but empty: fill it in, or unset it']],
    ['an empty GITHUB_TOKEN in the sandbox too', { GITHUB_TOKEN: '' }, ['GITHUB_TOKEN is set but empty: fill it in, or unset it']],
    [
      'a DATABASE_URL in the sandbox',
      { DATABASE_URL: 'postgres://db.internal/prod' },
      ['DATABASE_URL is set, and the sandbox refuses a database that may hold real releases (it keeps its own under DATA_DIR): unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway'],
    ],
    [
      'a local DATABASE_URL in the sandbox too (a tunnel to production looks local)',
      { DATABASE_URL: 'postgres://127.0.0.1:5432/tminus' },
      ['DATABASE_URL is set, and the sandbox refuses a database that may hold real releases (it keeps its own under DATA_DIR): unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway'],
    ],
    [
      'a non-local REDIS_URL in the sandbox',
      { REDIS_URL: 'redis://:secret@cache.internal:6379' },
      ["REDIS_URL points at cache.internal, not this machine, and the sandbox refuses a Redis that may be production's: unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway"],
    ],
    [
      'a Redis that only looks local',
      { REDIS_URL: 'redis://127.0.0.1.example.com:6379' },
      ["REDIS_URL points at 127.0.0.1.example.com, not this machine, and the sandbox refuses a Redis that may be production's: unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway"],
    ],
    [
      'a REDIS_URL whose host cannot be read',
      { REDIS_URL: 'redis://cache internal:6379' },
      ["REDIS_URL points at no host this sandbox can read, not this machine, and the sandbox refuses a Redis that may be production's: unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway"],
    ],
    [
      'SANDBOX_ALLOW_EXTERNAL other than 1',
      { REDIS_URL: 'redis://cache.internal:6379', SANDBOX_ALLOW_EXTERNAL: 'yes' },
      [
        'SANDBOX_ALLOW_EXTERNAL must be 1 (or unset)',
        "REDIS_URL points at cache.internal, not this machine, and the sandbox refuses a Redis that may be production's: unset it, or set SANDBOX_ALLOW_EXTERNAL=1 to use it anyway",
      ],
    ],
    [
      "production's queue prefix in the sandbox, even when external data is allowed",
      { QUEUE_PREFIX: 'tminus', SANDBOX_ALLOW_EXTERNAL: '1' },
      ["QUEUE_PREFIX must not be production's (tminus) in the sandbox: unset it (tminus-sandbox) or choose another"],
    ],
    [
      "production's data dir in the sandbox",
      { DATA_DIR: '.data/' },
      ["DATA_DIR must not be production's (./.data) in the sandbox: unset it (./.data/sandbox) or choose another"],
    ],
    ['a HOST that is no address', { HOST: 'http://0.0.0.0' }, ['HOST must be an address to listen on, such as 127.0.0.1 or 0.0.0.0']],
    [
      'HOST in Socket Mode, which Bolt cannot narrow',
      { ...REQUIRED, SLACK_APP_TOKEN: 'xapp-1', HOST: '127.0.0.1' },
      ['HOST cannot narrow where tminus listens in Socket Mode (SLACK_APP_TOKEN is set): Bolt serves /healthz on every interface there; unset HOST'],
    ],
  ])('refuses %s', (_, env, lines) => {
    expect(configError(env).message).toBe(['Invalid environment:', ...lines.map((line) => `  ${line}`)].join('\n'));
  });
});

/** The required variables that are not Slack's. */
function REQUIRED_BUT_SLACK(): Record<string, string> {
  const { SLACK_SIGNING_SECRET: _secret, SLACK_BOT_TOKEN: _token, ...rest } = REQUIRED;
  return rest;
}
