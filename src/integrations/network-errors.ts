/** The system error codes that mean no answer came at all: the service was never reached. */
const UNREACHED_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
};
/** Names the host in their message already (`getaddrinfo ENOTFOUND api.github.com`): kept as they are. */
const LOOKUP_CODES = ['ENOTFOUND', 'EAI_AGAIN'];
const TIMEOUT_NAMES = ['TimeoutError', 'AbortError'];

/**
 * What went wrong when a request got no answer at all (a refused connection, a name that does not resolve,
 * a timeout, a TLS failure): its cause in a few words, such as `connection refused` or
 * `getaddrinfo ENOTFOUND api.github.com`. Undefined when the error is not one of those: something answered.
 * Clients wrap the system error (fetch: `TypeError('fetch failed')` with the cause; Octokit: a RequestError
 * with status 500 and no response around that), so the whole `cause` chain is read.
 */
export function networkFailure(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    const code = typeof link.code === 'string' ? link.code : typeof link.errno === 'string' ? link.errno : undefined;
    if (code && UNREACHED_CODES[code]) return UNREACHED_CODES[code];
    if (code && LOOKUP_CODES.includes(code)) return lookupMessage(link, code);
    if (code && (code.startsWith('ERR_TLS_') || code.startsWith('CERT_') || code.includes('CERT') || code === 'ERR_SSL_WRONG_VERSION_NUMBER')) {
      return `TLS failed: ${String(link.message ?? code)}`;
    }
    if (typeof link.name === 'string' && TIMEOUT_NAMES.includes(link.name)) return 'no answer in time (timed out)';
    // fetch refuses some ports outright (the spec's "bad ports", 1 among them) before connecting.
    if (link.message === 'bad port') return 'the port is one fetch refuses to connect to (a "bad port")';
  }
  return undefined;
}

/** `https://api.github.com/` → `api.github.com`; `http://127.0.0.1:4010` → `127.0.0.1:4010`. The URL itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

interface Link {
  code?: unknown;
  errno?: unknown;
  name?: unknown;
  message?: unknown;
  hostname?: unknown;
}

function causeChain(error: unknown): Link[] {
  const chain: Link[] = [];
  let link: unknown = error;
  while (link !== null && typeof link === 'object' && chain.length < 8 && !chain.includes(link as Link)) {
    chain.push(link as Link);
    link = (link as { cause?: unknown }).cause;
  }
  return chain;
}

function lookupMessage(link: Link, code: string): string {
  const message = typeof link.message === 'string' ? link.message : '';
  // node-fetch (Datadog's client) wraps it: `request to https://… failed, reason: getaddrinfo ENOTFOUND host`.
  const lookup = /getaddrinfo \w+ [^\s,]+/.exec(message);
  if (lookup) return lookup[0];
  return typeof link.hostname === 'string' ? `getaddrinfo ${code} ${link.hostname}` : `getaddrinfo ${code}`;
}
