import { STATUS_CODES } from 'node:http';

/** The wire-level pieces every route shares: requests as routes see them, answers, errors, paging. */

export const DOCS = 'https://docs.github.com/rest';

export interface ApiRequest {
  method: string;
  /** Decoded path, e.g. /repos/acme/shop/git/ref/heads/release/v1 */
  path: string;
  /** The path as it arrived (still percent-encoded), for building Link headers. */
  rawPath: string;
  query: URLSearchParams;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly documentationUrl = DOCS,
  ) {
    super(message);
  }

  toResponse(): ApiResponse {
    return errorResponse(this.status, this.message, this.extra, this.documentationUrl);
  }
}

export function errorResponse(status: number, message?: string, extra: Record<string, unknown> = {}, documentationUrl = DOCS): ApiResponse {
  return {
    status,
    body: { message: message ?? STATUS_CODES[status] ?? 'Error', ...extra, documentation_url: documentationUrl, status: String(status) },
  };
}

export const notFound = (message = 'Not Found'): HttpError => new HttpError(404, message);

export function validationFailed(resource: string, code: string, field: string, docs = DOCS): HttpError {
  return new HttpError(422, 'Validation Failed', { errors: [{ resource, code, field }] }, docs);
}

/** A JSON object body, or 400 as GitHub answers one it cannot parse. */
export function objectBody(request: ApiRequest): Record<string, unknown> {
  const { body } = request;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Problems parsing JSON');
  return body as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not a string.`);
  }
  return value;
}

export function booleanField(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not a boolean.`);
  }
  return value;
}

/** One page of `items` (`per_page` default 30, at most 100) and GitHub's Link header for the others. */
export function paginate<T>(items: T[], request: ApiRequest, baseUrl: string): { items: T[]; headers: Record<string, string> } {
  const perPage = clamp(Number.parseInt(request.query.get('per_page') ?? '', 10), 30, 1, 100);
  const page = clamp(Number.parseInt(request.query.get('page') ?? '', 10), 1, 1, Number.MAX_SAFE_INTEGER);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const pageUrl = (n: number): string => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(n));
    return `<${baseUrl}${request.rawPath}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${pageUrl(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`);
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function clamp(value: number, fallback: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

/**
 * GitHub's `created` search qualifier: `>=T`, `>T`, `<=T`, `<T`, `A..B` (either side may be `*`), or a
 * bare date (that UTC day) or date-time (that instant).
 */
export function createdFilter(expression: string): (ms: number) => boolean {
  const parse = (text: string): number => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new HttpError(422, `Invalid created filter: ${expression}`);
    return ms;
  };
  const op = /^(>=|<=|>|<)(.+)$/.exec(expression);
  if (op !== null) {
    const t = parse(op[2] as string);
    switch (op[1]) {
      case '>=':
        return (ms) => ms >= t;
      case '>':
        return (ms) => ms > t;
      case '<=':
        return (ms) => ms <= t;
      default:
        return (ms) => ms < t;
    }
  }
  const range = /^(.+)\.\.(.+)$/.exec(expression);
  if (range !== null) {
    const from = range[1] === '*' ? -Infinity : parse(range[1] as string);
    const to = range[2] === '*' ? Infinity : endOf(range[2] as string, parse(range[2] as string));
    return (ms) => ms >= from && ms <= to;
  }
  const t = parse(expression);
  const end = endOf(expression, t);
  return (ms) => ms >= t && ms <= end;
}

/** A bare date covers its whole day. */
function endOf(text: string, ms: number): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? ms + 86_400_000 - 1 : ms;
}
