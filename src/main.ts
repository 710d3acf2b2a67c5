import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { startTminus } from './app.js';
import { ConfigError, loadConfig, type SandboxConfig, type SlackConfig } from './config.js';
import { loadPolicy, PolicyError, type Policy } from './domain/policy.js';
import { openDatabase } from './integrations/database/client.js';
import { createObservability } from './integrations/datadog.js';
import { createReleaseRepository } from './integrations/github.js';
import { createStatuspage } from './integrations/status-page.js';
import { createLogger, secretsOf } from './logger.js';

/** The only place that reads process.env: everything else is handed what it needs. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const secrets = secretsOf(config);
  const log = createLogger({ level: config.logLevel, secrets });
  const policy = loadPolicy(config.releasePolicyPath ? readPolicyFile(config.releasePolicyPath) : undefined, config.releasePolicyPath ?? 'RELEASE_POLICY');
  const stop = config.mode === 'sandbox' ? await runSandbox(config, policy, log) : await runWithSlack(config, policy, log, secrets);

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing running jobs');
    const forced = setTimeout(() => {
      log.error('shutdown took over 30 s; exiting');
      process.exit(1);
    }, 30_000);
    forced.unref();
    void stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function runWithSlack(config: SlackConfig, policy: Policy, log: Logger, secrets: readonly string[]): Promise<() => Promise<void>> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const tminus = await startTminus({
    port: config.port,
    host: config.host,
    slack: config.slack,
    // Every client scrubs every configured credential from the error text it lets in (domain/external-text.ts).
    github: createReleaseRepository({ ...config.github, secrets }),
    ...(config.datadog.apiKey && config.datadog.appKey
      ? { observability: createObservability({ apiKey: config.datadog.apiKey, appKey: config.datadog.appKey, site: config.datadog.site, apiUrl: config.datadog.apiUrl, secrets }) }
      : {}),
    ...(config.statusPage ? { statusPage: createStatuspage({ ...config.statusPage, secrets }) } : {}),
    deployWorkflow: config.github.deployWorkflow,
    secrets,
    githubWebhookSecret: config.githubWebhookSecret,
    metricsToken: config.metricsToken,
    database,
    redisUrl: config.redisUrl,
    databaseUrl: config.databaseUrl,
    queuePrefix: config.queuePrefix,
    policy,
    log,
    planScheduleCron: config.planScheduleCron,
  });
  return async () => {
    await tminus.stop();
    await database.close();
  };
}

async function runSandbox(config: SandboxConfig, policy: Policy, log: Logger): Promise<() => Promise<void>> {
  const { startSandbox } = await import('./sandbox/start-sandbox.js');
  const sandbox = await startSandbox({ config, policy, log });
  return () => sandbox.stop();
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`RELEASE_POLICY: cannot read ${path}: ${(error as Error).message}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof PolicyError) {
    console.error(`tminus cannot start.\n${error.message}`);
  } else {
    console.error('tminus cannot start:', error);
  }
  process.exit(1);
});
