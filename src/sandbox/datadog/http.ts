/** The stand-in's HTTP plumbing: requests, answers, and the body readers its handlers share. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface Answer {
  status: number;
  body?: unknown;
  /** Raw bytes instead of JSON (the snapshot PNG). */
  raw?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export type Auth = 'api' | 'api+app' | 'none';

export interface Route {
  method: string;
  path: RegExp;
  auth: Auth;
  handle: (request: Request, match: RegExpExecArray) => Answer;
}

/** A request the caller got wrong: 400, in the API version's error shape. */
export class BadRequest extends Error {}

export function errors(status: number, message: string): Answer {
  return { status, body: { errors: [message] } };
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function send(res: ServerResponse, answer: Answer): void {
  const payload = answer.raw ?? Buffer.from(answer.body === undefined ? '' : JSON.stringify(answer.body));
  res.writeHead(answer.status, {
    'content-type': answer.contentType ?? 'application/json',
    'content-length': payload.length,
    'x-content-type-options': 'nosniff',
    ...answer.headers,
  });
  res.end(payload);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function decode(raw: Buffer, encoding: string | undefined): Buffer {
  if (raw.length === 0) return raw;
  if (encoding === 'gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  return raw;
}

export function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function seconds(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  const value = text === null ? Number.NaN : Number(text);
  if (!Number.isInteger(value)) throw new BadRequest(`The value provided for parameter '${name}' is invalid`);
  return value;
}

export function clampInt(text: string | null | undefined, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text ?? '', 10);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Invalid JSON body');
  return body as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`'${field}' must be a string`);
  return value;
}

export function optionalFields<K extends string>(body: Record<string, unknown>, fields: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const field of fields) {
    const value = optionalString(body, field);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function stringArray(body: Record<string, unknown>, field: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new BadRequest(`'${field}' must be a list of strings`);
  return [...value] as string[];
}
