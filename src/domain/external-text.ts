/**
 * Text tminus did not write (an error GitHub, Datadog, Slack or a status page answered, possibly through a
 * proxy that echoes the request) before it reaches Slack, GitHub or the database: credentials removed and the
 * length capped. The log's last pass (logger.ts) uses the same shapes, so what the log hides Slack never shows.
 */

export const REDACTED = '[REDACTED]';

/** Userinfo in a URL (`https://user:password@host`, `https://x-access-token:ghs_…@host`). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'<>]*):[^\s@/"'<>]*@/gi;
/** A token alone before the host (`https://ghp_…@github.com`): no colon, but a credential all the same. */
const URL_USER_TOKEN = /\b([a-z][a-z0-9+.-]*:\/\/)[A-Za-z0-9_-]{20,}@/gi;
/** Token shapes worth hiding even when tminus was not told the value (another workspace's, a user's). */
export const TOKEN_SHAPES: readonly RegExp[] = [
  /\bxox[abposre]-[A-Za-z0-9-]+/g,
  /\bxapp-[A-Za-z0-9-]+/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
];
/** Headers and parameters that carry a credential, echoed as `name: value` or `name=value`. */
const CREDENTIAL_NAMES = [
  '(?:proxy-)?authorization',
  'dd-api-key',
  'dd-application-key',
  'x-api-key',
  'api[_-]?key',
  'app(?:lication)?[_-]?key',
  'private[_-]?token',
  'access[_-]?token',
  'client[_-]?secret',
  'password',
].join('|');
/** `name: value`, `name=value`, `"name":"value"`, with an optional scheme word (`token`, `Bearer`) before the value. */
const CREDENTIAL_FIELDS = new RegExp(
  `\\b(${CREDENTIAL_NAMES})(["']?\\s*[:=]\\s*["']?)` + // the name and its separator, kept
    `(?!\\[REDACTED\\])(?:(?:bearer|token|basic|bot)\\s+)?[^\\s"'&,;)}\\]]+`, // the value, replaced
  'gi',
);
/** `Bearer …` wherever it stands. */
const BEARER = /\bbearer\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]+/gi;
/** Shorter values would blot out ordinary words; no credential tminus is given is that short. */
const MIN_SECRET_LENGTH = 4;
/** What an external text may take up by default: a reason in a Slack line, a column, an audit detail. */
export const EXTERNAL_TEXT_MAX = 1_000;

/** The configured credentials worth looking for: long enough, longest first, with the forms a body echoes them in. */
export function secretForms(secrets: readonly (string | undefined)[]): string[] {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))];
  const forms = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]);
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** `text` without the credentials it may carry: URL passwords, token shapes, credential headers, the configured values. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_CREDENTIALS, `$1:${REDACTED}@`).replace(URL_USER_TOKEN, `$1${REDACTED}@`);
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  out = out.replace(CREDENTIAL_FIELDS, `$1$2${REDACTED}`).replace(BEARER, `Bearer ${REDACTED}`);
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}

export type Scrub = (text: string, maxLength?: number) => string;

/**
 * The one scrubbing path for external text: built once with the configured credentials (a client adds its own
 * token), applied where the text enters tminus. Scrubbed first, then cut, so no cut-off credential survives.
 */
export function scrubberOf(secrets: readonly (string | undefined)[]): Scrub {
  const forms = secretForms(secrets);
  return (text, maxLength = EXTERNAL_TEXT_MAX) => {
    const clean = withoutSecrets(text, forms);
    return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
  };
}

/** An error with its message scrubbed, same class and fields otherwise (the worker's last pass before Slack and the queue). */
export function scrubbedError<E extends Error>(error: E, scrub: Scrub): E {
  const message = scrub(error.message);
  if (message === error.message) return error;
  try {
    error.message = message;
    if (typeof error.stack === 'string') error.stack = scrub(error.stack, 10_000);
    return error;
  } catch {
    return Object.assign(new Error(message), { name: error.name }) as E;
  }
}
