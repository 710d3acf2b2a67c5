import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse } from './http.js';

/** Reading requests off the socket and writing answers with the headers GitHub sends on every response. */

/** The request as routes see it; `parseError` when its body is not JSON. */
export async function readRequest(req: IncomingMessage, baseUrl: string): Promise<{ request: ApiRequest; parseError: boolean }> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', baseUrl);
  let body: unknown;
  let parseError = false;
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
      parseError = true;
    }
  }
  const method = (req.method ?? 'GET').toUpperCase();
  return { request: { method, path: safeDecode(url.pathname), rawPath: url.pathname, query: url.searchParams, body }, parseError };
}

export function send(res: ServerResponse, response: ApiResponse, requestId: string): void {
  const payload = response.status === 204 || response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(payload),
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': requestId,
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-used': '1',
    'x-ratelimit-reset': '4102444800',
    'x-ratelimit-resource': 'core',
    ...response.headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
