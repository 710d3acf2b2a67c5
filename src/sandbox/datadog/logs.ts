/**
 * Logs (`POST /api/v2/logs/analytics/aggregate`): log lines pushed by the test or the sandbox, searched and
 * counted as Datadog's Logs aggregate API does, in its wire shape (`LogsAggregateRequest` in,
 * `LogsAggregateResponse` out). The search syntax understood is the part tminus and people use:
 * `field:value`, `field:(a OR b)`, `-field:value`, `*`, and free words matched against the message.
 * Anything else is refused with 400 rather than answered wrongly.
 */
import { createHash } from 'node:crypto';
import { BadRequest, objectBody, type Answer, type Request } from './http.js';
import type { Org } from './org.js';
import type { LogRecord } from './types.js';

const AGGREGATIONS = ['count', 'cardinality', 'pc75', 'pc90', 'pc95', 'pc98', 'pc99', 'sum', 'min', 'max', 'avg', 'median'];
const FACETS = ['service', 'env', 'status', 'host'];
const DATE_MATH = /^now(?:-(\d+)([smhdw]))?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

type Term = { kind: 'field'; field: string; values: string[]; negated: boolean } | { kind: 'word'; word: string; negated: boolean } | { kind: 'all' };

export class Logs {
  private readonly lines: LogRecord[] = [];

  constructor(private readonly org: Org) {}

  push(records: LogRecord[]): void {
    for (const r of records) this.lines.push({ ...r, tags: [...(r.tags ?? [])] });
  }

  clear(): void {
    this.lines.length = 0;
  }

  all(): LogRecord[] {
    return this.lines.map((l) => ({ ...l, tags: [...(l.tags ?? [])] }));
  }

  /** `POST /api/v2/logs/analytics/aggregate`: counts only (the one aggregation the stand-in computes). */
  aggregate(request: Request): Answer {
    const body = objectBody(request.body);
    const computes = body.compute === undefined ? [{ aggregation: 'count' }] : body.compute;
    if (!Array.isArray(computes) || computes.length === 0) throw new BadRequest("'compute' must be a non-empty list");
    for (const c of computes as Record<string, unknown>[]) {
      if (typeof c !== 'object' || c === null || !AGGREGATIONS.includes(String(c.aggregation))) throw new BadRequest(`invalid aggregation: ${String((c as { aggregation?: unknown } | null)?.aggregation)}`);
      if (c.aggregation !== 'count') throw new BadRequest(`the stand-in computes only "count", not "${String(c.aggregation)}"`);
      if (c.type !== undefined && c.type !== 'total') throw new BadRequest(`the stand-in computes only "total" computes, not "${String(c.type)}"`);
    }
    const filter = body.filter === undefined ? {} : objectBody(body.filter);
    const now = this.org.clock();
    const from = time(filter.from ?? 'now-15m', now, 'from');
    const to = time(filter.to ?? 'now', now, 'to');
    if (from > to) throw new BadRequest("'from' is after 'to'");
    if (filter.query !== undefined && typeof filter.query !== 'string') throw new BadRequest("'filter.query' must be a string");
    const terms = parseSearch(filter.query ?? '*');
    const groupBy = body.group_by === undefined ? [] : body.group_by;
    if (!Array.isArray(groupBy)) throw new BadRequest("'group_by' must be a list");
    const facets = (groupBy as Record<string, unknown>[]).map((g) => {
      const facet = typeof g === 'object' && g !== null ? g.facet : undefined;
      if (typeof facet !== 'string' || !FACETS.includes(facet)) throw new BadRequest(`the stand-in groups by ${FACETS.join(', ')} only, not ${String(facet)}`);
      return facet as 'service' | 'env' | 'status' | 'host';
    });

    const matching = this.lines.filter((l) => l.at >= from && l.at < to && terms.every((t) => matches(l, t)));
    const groups = new Map<string, { by: Record<string, string>; count: number }>();
    for (const line of matching) {
      const by = Object.fromEntries(facets.map((f) => [f, line[f] ?? 'N/A']));
      const key = JSON.stringify(by);
      const group = groups.get(key) ?? { by, count: 0 };
      group.count += 1;
      groups.set(key, group);
    }
    // Nothing matched: Datadog answers no bucket at all, not a bucket of 0.
    const buckets = [...groups.values()]
      .sort((a, b) => b.count - a.count)
      .map((g) => ({ by: g.by, computes: Object.fromEntries(computes.map((_c, i) => [`c${i}`, g.count])) }));
    const requestId = createHash('sha1').update(`logs-aggregate:${this.org.nextSeq()}`).digest('base64url').slice(0, 22);
    return { status: 200, body: { meta: { elapsed: 7, request_id: `pddv1${requestId}`, status: 'done' }, data: { buckets } } };
  }
}

/** A log filter time: an ISO date, milliseconds since the epoch, or date math (`now`, `now-15m`). */
function time(value: unknown, now: number, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') throw new BadRequest(`'filter.${field}' must be a string`);
  if (/^\d+$/.test(value)) return Number(value);
  const math = DATE_MATH.exec(value);
  if (math) return now - (math[1] ? Number(math[1]) * UNIT_MS[math[2] as string]! : 0);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new BadRequest(`'filter.${field}' is not a date: ${value}`);
  return parsed;
}

function parseSearch(query: string): Term[] {
  const terms: Term[] = [];
  const pattern = /\s*(-)?(?:([A-Za-z_][\w.]*):(?:\(([^()]*)\)|([^\s()]+))|(\*)|([^\s():]+))/y;
  const rest = query.trim();
  let at = 0;
  while (at < rest.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(rest);
    if (!m) throw new BadRequest(`invalid log search query at "${rest.slice(at)}"`);
    at = pattern.lastIndex;
    const negated = m[1] === '-';
    if (m[2] !== undefined) {
      const values = m[3] !== undefined ? m[3].split(/\s+OR\s+/).map((v) => v.trim()) : [m[4] as string];
      if (values.some((v) => v === '' || /\s/.test(v))) throw new BadRequest(`invalid value list in "${m[0].trim()}": the stand-in understands (a OR b)`);
      terms.push({ kind: 'field', field: m[2], values, negated });
    } else if (m[5] !== undefined) terms.push({ kind: 'all' });
    else {
      const word = m[6] as string;
      if (word === 'AND') continue;
      if (word === 'OR' || word === 'NOT') throw new BadRequest(`the stand-in does not understand top-level ${word}: use field:(a OR b) or -field:value`);
      terms.push({ kind: 'word', word: word.toLowerCase(), negated });
    }
  }
  return terms;
}

function matches(line: LogRecord, term: Term): boolean {
  if (term.kind === 'all') return true;
  if (term.kind === 'word') return (line.message ?? '').toLowerCase().includes(term.word) !== term.negated;
  const own = term.field === 'service' || term.field === 'env' || term.field === 'status' || term.field === 'host' ? line[term.field] : undefined;
  const values = own !== undefined ? [own] : (line.tags ?? []).filter((t) => t.startsWith(`${term.field}:`)).map((t) => t.slice(term.field.length + 1));
  const hit = term.values.some((wanted) => values.some((v) => glob(wanted, v)));
  return hit !== term.negated;
}

function glob(wanted: string, value: string): boolean {
  if (!wanted.includes('*')) return wanted.toLowerCase() === value.toLowerCase();
  const re = new RegExp(`^${wanted.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(value);
}
