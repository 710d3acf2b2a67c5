import type { ApiRequest, ApiResponse } from './http.js';
import { HttpError } from './http.js';

/** Route tables beside routes.ts: each module declares the context its handlers need. */

export type TableHandler<C> = (ctx: C, request: ApiRequest, params: string[]) => ApiResponse;
export type TableRoute<C> = [method: string, path: RegExp, handler: TableHandler<C>];

/** The answer of the first route matching the method and path, or undefined. */
export function matchRoute<C>(table: TableRoute<C>[], ctx: C, request: ApiRequest, path: string): ApiResponse | undefined {
  for (const [method, pattern, handler] of table) {
    const match = pattern.exec(path);
    if (method === request.method && match !== null) return handler(ctx, request, match.slice(1));
  }
  return undefined;
}

export function ok(body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status: 200, body, headers };
}

export function created(body: unknown, location: string): ApiResponse {
  return { status: 201, body, headers: { location } };
}

export const missingField = (field: string, docs?: string): HttpError =>
  new HttpError(422, `Invalid request.\n\n"${field}" wasn't supplied.`, {}, docs);

/** A list of strings (or of {name}) in a body field, or 422. */
export function stringList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const names = Array.isArray(value)
    ? value.map((v: unknown) => (typeof v === 'object' && v !== null && 'name' in v ? (v as { name: unknown }).name : v))
    : undefined;
  if (names === undefined || !names.every((n): n is string => typeof n === 'string')) {
    throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not an array.`);
  }
  return names;
}

/** `direction` (asc or desc, `fallback` by default) applied to items in ascending order. */
export function ordered<T>(ascending: T[], direction: string | null, fallback: 'asc' | 'desc' = 'desc'): T[] {
  return (direction ?? fallback) === 'asc' ? ascending : [...ascending].reverse();
}
