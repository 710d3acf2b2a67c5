import { pino, stdSerializers, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import type { Config } from './config.js';
import { REDACTED, withoutSecrets } from './domain/external-text.js';

/** Fields that hold a credential wherever they appear, down to `config.slack.botToken`. */
const SECRET_FIELDS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'apiKey',
  'appKey',
  'privateKey',
  'password',
  'clientSecret',
  'authorization',
  'Authorization',
  'cookie',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'GITHUB_TOKEN',
  'DD_API_KEY',
  'DD_APP_KEY',
];
/** Fields that hold a URL: kept, without the password they may carry. */
const URL_FIELDS = ['DATABASE_URL', 'REDIS_URL', 'databaseUrl', 'redisUrl', 'url'];
/** Where the clients put request headers in their errors: Octokit's RequestError, axios-era and fetch-era Slack errors. */
const ERROR_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'err.request.headers.authorization',
  'err.response.headers',
  'err.config.headers',
  'err.original.config.headers',
  'err.cause.config.headers',
  'err.cause.request.headers.authorization',
  'err.cause.response.headers',
];
const REDACT_PATHS = [...[...SECRET_FIELDS, ...URL_FIELDS].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]), ...ERROR_PATHS];

/** Shorter values would blot out ordinary words; no credential tminus is given is that short. */
const MIN_SECRET_LENGTH = 4;

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Credential values from the configuration: scrubbed from every line, wherever they turn up. */
  secrets: readonly (string | undefined)[];
}

/**
 * tminus's logger. Three layers, because a token reaches a log by more than one road: `redact` paths for the
 * fields known to carry credentials, an error serializer that scrubs the known values (and URL passwords)
 * from messages, stacks and nested fields, and a last pass over each line before it is written.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  const values = [...new Set(options.secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const scrub = (text: string) => scrubText(text, values);
  // The line is JSON: a value shows up escaped once, or twice when a JSON body was logged as a string.
  const lineForms = [...new Set(values.flatMap((v) => [jsonEscaped(v), jsonEscaped(jsonEscaped(v)), encodeURIComponent(v), jsonEscaped(encodeURIComponent(v))]))].sort((a, b) => b.length - a.length);
  return pino(
    {
      level: options.level,
      base: { service: 'tminus' },
      redact: { paths: REDACT_PATHS, censor: (value, path) => censor(value, path, scrub) },
      serializers: { err: (err: unknown) => scrubDeep(stdSerializers.err(err as Error), scrub) },
      hooks: { streamWrite: (line) => scrubText(line, lineForms) },
    },
    destination as DestinationStream,
  );
}

/** What the configuration holds that must never be logged: tokens, keys, and the passwords inside URLs. */
export function secretsOf(config: Config): string[] {
  const passwords = [config.databaseUrl, config.redisUrl].flatMap((url) => {
    const password = url ? passwordOf(url) : undefined;
    return password ? [password, safeDecode(password)] : [];
  });
  if (config.mode === 'sandbox') return passwords;
  const { slack, github, datadog } = config;
  return [slack.signingSecret, slack.botToken, slack.appToken, github.token, datadog.apiKey, datadog.appKey, config.statusPage?.apiKey, config.githubWebhookSecret, config.metricsToken, ...passwords].filter((s): s is string => Boolean(s));
}

/** The same pass external text gets before Slack (domain/external-text.ts): URL passwords, token shapes, credential headers, `secrets`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  return withoutSecrets(text, secrets);
}

function censor(value: unknown, path: string[], scrub: (text: string) => string): unknown {
  const field = String(path.at(-1));
  return URL_FIELDS.includes(field) && typeof value === 'string' ? scrub(value) : REDACTED;
}

/**
 * A copy with every string scrubbed. Walks the serialized error and the plain data inside it (headers,
 * bodies); other class instances are left to the last pass over the line.
 */
function scrubDeep(value: unknown, scrub: (text: string) => string): unknown {
  const serializedError = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  const walk = (node: unknown, depth: number, seen: Set<object>): unknown => {
    if (typeof node === 'string') return scrub(node);
    if (node === null || typeof node !== 'object' || depth > 8) return node;
    const proto = Object.getPrototypeOf(node);
    const plain = Array.isArray(node) || proto === null || proto === Object.prototype || proto === serializedError;
    if (!plain || seen.has(node)) return node;
    seen.add(node);
    if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1, seen));
    const copy: Record<string, unknown> = Object.create(proto);
    for (const [key, item] of Object.entries(node)) copy[key] = walk(item, depth + 1, seen);
    return copy;
  };
  return walk(value, 0, new Set());
}

function passwordOf(url: string): string | undefined {
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
