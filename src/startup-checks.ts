import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { Redis } from 'ioredis';
import { openDatabase, type DatabaseHandle } from './integrations/database/client.js';
import { networkFailure } from './integrations/network-errors.js';

/** tminus cannot start, for a reason its operator can fix: said in one line (main.ts prints it and exits 1). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Slack's answers to auth.test that mean the token itself is no good. */
const REFUSED_TOKEN = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'no_permission'];
const SLACK_API_URL = 'https://slack.com/api/';
const REDIS_TIMEOUT_MS = 5_000;

/** A URL fit to print: the password inside it replaced by `***`. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}

/** The database, opened and migrated, or a StartupError that names DATABASE_URL (or DATA_DIR) and what went wrong. */
export async function openDatabaseOrExplain(options: { url?: string; dataDir: string }): Promise<DatabaseHandle> {
  try {
    return await openDatabase(options);
  } catch (error) {
    if (!options.url) throw new StartupError(`tminus cannot open its embedded database in DATA_DIR=${options.dataDir}: ${messageOf(error)}`);
    const where = `DATABASE_URL=${withoutPassword(options.url)}${portNote(options.url, 5432)}`;
    const unreached = networkFailure(error);
    if (unreached !== undefined) throw new StartupError(`tminus cannot reach its database at ${where}: ${unreached}`);
    throw new StartupError(`tminus cannot use its database at ${where}: ${messageOf(error)}`);
  }
}

/** Redis answers PING on a connection of its own that never retries; else a StartupError that names REDIS_URL. */
export async function checkRedis(url: string): Promise<void> {
  const options = { lazyConnect: true, connectTimeout: REDIS_TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null };
  const redis = new Redis(url, options);
  let lastError: unknown;
  redis.on('error', (error: unknown) => (lastError = error));
  const where = `REDIS_URL=${withoutPassword(url)}${portNote(url, 6379)}`;
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const unreached = networkFailure(lastError) ?? networkFailure(error);
    if (unreached !== undefined) throw new StartupError(`tminus cannot reach Redis at ${where}: ${unreached}`);
    throw new StartupError(`tminus cannot use Redis at ${where}: ${messageOf(lastError ?? error)}`);
  } finally {
    redis.disconnect();
  }
}

export interface SlackIdentity {
  botId: string;
  botUserId: string;
}

/**
 * auth.test with the bot token, once and without retries: who the bot is (Bolt is given it, so it never calls
 * auth.test itself and leaves a rejection no one awaits), or a StartupError saying why Slack cannot be used.
 */
export async function checkSlack(token: string, options: Pick<WebClientOptions, 'slackApiUrl' | 'fetch' | 'timeout'> = {}): Promise<SlackIdentity> {
  const url = options.slackApiUrl ?? SLACK_API_URL;
  const client = new WebClient(token, { timeout: 10_000, ...options, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  try {
    const answer = await client.auth.test();
    return { botId: answer.bot_id ?? '', botUserId: answer.user_id ?? '' };
  } catch (error) {
    throw slackStartupError(error, url);
  }
}

function slackStartupError(error: unknown, url: string): StartupError {
  const code = (error as { code?: unknown }).code;
  if (code === ErrorCode.PlatformError) {
    const reason = (error as { data?: { error?: string } }).data?.error ?? 'unknown_error';
    if (REFUSED_TOKEN.includes(reason)) return new StartupError(`SLACK_BOT_TOKEN was refused by Slack (${reason})`);
    return new StartupError(`Slack at ${url} refused auth.test with the bot token (${reason})`);
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as { statusCode?: number }).statusCode;
    return new StartupError(`Slack at ${url} answered auth.test with HTTP ${status}: is SLACK_API_URL Slack's Web API?`);
  }
  if (code === ErrorCode.RateLimitedError) return new StartupError(`Slack at ${url} rate-limited auth.test: try again in a minute`);
  const original = (error as { original?: unknown }).original ?? error;
  return new StartupError(`tminus cannot reach Slack at ${url}: ${networkFailure(original) ?? messageOf(original)}`);
}

/** ` (port 5432)` when the URL leaves its port to the default: the line then names where tminus knocked. */
function portNote(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? '' : ` (${parsed.hostname}:${defaultPort})`;
  } catch {
    return '';
  }
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim() || (error instanceof Error ? error.name : 'unknown error');
}
