import { readFileSync } from 'node:fs';
import { symbols as pinoSymbols, type Logger } from 'pino';
import { ConfigError, loadConfig, type SandboxConfig, type SlackConfig } from './config.js';
import { loadPolicy, PolicyError, type Policy } from './domain/policy.js';

/**
 * The only place that reads process.env: everything else is handed what it needs. The configuration is read
 * first, with only what reading it needs loaded: Bolt, BullMQ, drizzle and the rest load after it passed, so a
 * mistake in it is said at once, not after the seconds they take.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const policy = loadPolicy(config.releasePolicyPath ? readPolicyFile(config.releasePolicyPath) : undefined, config.releasePolicyPath ?? 'RELEASE_POLICY');
  const { createLogger, secretsOf } = await import('./logger.js');
  const secrets = secretsOf(config);
  const log = createLogger({ level: config.logLevel, secrets });
  // Once running, a failure is logged and its job retried: a rejection nothing awaited must not end the process.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection (tminus keeps running)'));
  const stop = config.mode === 'sandbox' ? await runSandbox(config, policy, log) : await runWithSlack(config, policy, log, secrets);

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing running jobs');
    const forced = setTimeout(() => {
      log.error('shutdown took over 30 s; exiting');
      process.exit(1);
    }, 30_000);
    forced.unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function runWithSlack(config: SlackConfig, policy: Policy, log: Logger, secrets: readonly string[]): Promise<() => Promise<void>> {
  const [{ startTminus }, { openDatabaseOrExplain }, { createObservability }, { createReleaseRepository }, { createStatuspage }] = await Promise.all([
    import('./app.js'),
    import('./startup-checks.js'),
    import('./integrations/datadog.js'),
    import('./integrations/github.js'),
    import('./integrations/status-page.js'),
  ]);
  const database = await openDatabaseOrExplain({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
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
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

async function runSandbox(config: SandboxConfig, policy: Policy, log: Logger): Promise<() => Promise<void>> {
  const { startSandbox } = await import('./sandbox/start-sandbox.js');
  const sandbox = await startSandbox({ config, policy, log });
  // Plain text, last, once everything listens: the one line a person starting the sandbox looks for. Written
  // through the log's own stream (stdout), which writes asynchronously: in order after the start's log lines.
  const stream = (log as unknown as Record<symbol, { write(line: string): unknown } | undefined>)[pinoSymbols.streamSym];
  (stream ?? process.stdout).write(`tminus sandbox: open ${sandbox.url}\n`);
  return () => sandbox.stop();
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`RELEASE_POLICY: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** What the operator reads when tminus does not start: the configuration's list, or one line; a stack only at LOG_LEVEL=debug. */
function cannotStart(error: unknown): string {
  if (error instanceof ConfigError || error instanceof PolicyError) return `tminus cannot start.\n${error.message}`;
  // The start-up checks' StartupError (startup-checks.ts), loaded late: known by its name.
  if (error instanceof Error && error.name === 'StartupError') return error.message;
  const verbose = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  if (verbose) return `tminus cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `tminus cannot start: ${message.split('\n')[0]} (LOG_LEVEL=debug shows where)`;
}

main().catch((error: unknown) => {
  console.error(cannotStart(error));
  process.exit(1);
});
