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
      redisUrl: 'redis://127.0.0.1:6379',
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

  it('treats a variable set but empty (PORT=) as unset', () => {
    const error = configError({ ...REQUIRED, SLACK_SIGNING_SECRET: '' });
    expect(error.message).toContain('SLACK_SIGNING_SECRET is required but not set');
    expect(loadConfig({ ...REQUIRED, PORT: '' }).port).toBe(3000);
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
      databaseUrl: undefined,
      dataDir: './.data/sandbox',
      redisUrl: 'redis://127.0.0.1:6379',
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
      ['dataDir', 'databaseUrl', 'datadog', 'github', 'logLevel', 'mode', 'port', 'queuePrefix', 'redisUrl', 'releasePolicyPath', 'slack'].sort(),
    );
  });
});
