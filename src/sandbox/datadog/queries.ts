/** Datadog metric query text: what the stand-in reads of a query to answer it as Datadog would. */
import type { MetricPoint } from './types.js';
import { BadRequest } from './http.js';

export const UNITS: Record<string, { family: string; name: string; plural: string; short_name: string | null; scale_factor: number }> = {
  nanosecond: { family: 'time', name: 'nanosecond', plural: 'nanoseconds', short_name: 'ns', scale_factor: 1e-9 },
  millisecond: { family: 'time', name: 'millisecond', plural: 'milliseconds', short_name: 'ms', scale_factor: 0.001 },
  second: { family: 'time', name: 'second', plural: 'seconds', short_name: 's', scale_factor: 1 },
  percent: { family: 'percentage', name: 'percent', plural: 'percent', short_name: '%', scale_factor: 1 },
  byte: { family: 'bytes', name: 'byte', plural: 'bytes', short_name: 'B', scale_factor: 1 },
  request: { family: 'network', name: 'request', plural: 'requests', short_name: 'req', scale_factor: 1 },
  hit: { family: 'cache', name: 'hit', plural: 'hits', short_name: null, scale_factor: 1 },
  error: { family: 'general', name: 'error', plural: 'errors', short_name: null, scale_factor: 1 },
};

export function normalizeQuery(query: string): string {
  return query.replace(/\s+/g, '');
}

export function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== '*');
}

export function tagKey(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(0, colon);
}

/** The aggregator, metric name and group-by keys of a metric query (the whole expression for arithmetic). */
export function parseQuery(query: string): { aggr: string | null; metric: string; groupBy: string[] } {
  const groupBy = [...query.matchAll(/\bby\s*\{([^}]*)\}/g)].flatMap((m) => splitTags(m[1] as string));
  const single = /^\s*(?:([a-z0-9_]+):)?([A-Za-z0-9_.]+)\{[^}]*\}(?:\s*by\s*\{[^}]*\})?(?:\.[a-z_]+\([^)]*\))*\s*$/.exec(query);
  if (single !== null) return { aggr: single[1] ?? null, metric: single[2] as string, groupBy: [...new Set(groupBy)] };
  const metric = query
    .replace(/\bby\s*\{[^}]*\}/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\.[a-z_]+\([^)]*\)/g, '')
    .replace(/\b[a-z0-9_]+:(?=[A-Za-z])/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { aggr: null, metric, groupBy: [...new Set(groupBy)] };
}

/** The query as this series answers it: each scope gets the series' tags, the group-by clause goes. */
export function expressionFor(query: string, scopeTags: string[]): string {
  return query.replace(/\s*\bby\s*\{[^}]*\}/g, '').replace(/\{([^}]*)\}/g, (_all, inner: string) => {
    const tags = [...new Set([...splitTags(inner), ...scopeTags])];
    return `{${tags.length === 0 ? '*' : tags.join(',')}}`;
  });
}

export function intervalOf(points: MetricPoint[]): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const gap = (points[i] as MetricPoint)[0] - (points[i - 1] as MetricPoint)[0];
    if (gap > 0) smallest = Math.min(smallest, gap);
  }
  return Number.isFinite(smallest) ? Math.max(1, Math.round(smallest / 1000)) : 60;
}

export function unitOf(name: string): Record<string, unknown> {
  return UNITS[name] ?? { family: 'general', name, plural: `${name}s`, short_name: null, scale_factor: 1 };
}

export function graphDefQueries(graphDef: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(graphDef);
  } catch {
    throw new BadRequest('graph_def is not valid JSON');
  }
  const requests = (parsed as { requests?: unknown }).requests;
  const queries = Array.isArray(requests)
    ? requests.map((r) => (r as { q?: unknown }).q).filter((q): q is string => typeof q === 'string')
    : [];
  if (queries.length === 0) throw new BadRequest('graph_def has no requests');
  return queries;
}
