/** Metric queries (`GET /api/v1/query`): series scripted per query, answered in Datadog's v1 shape. */
import { BadRequest, seconds, type Answer, type Request } from './http.js';
import { expressionFor, intervalOf, normalizeQuery, parseQuery, splitTags, tagKey, unitOf } from './queries.js';
import type { MetricPoint, SeriesSource, SeriesSpec } from './types.js';

const samePattern = (a: RegExp, b: RegExp) => a.source === b.source && a.flags === b.flags;

export class MetricSeries {
  private readonly exact = new Map<string, SeriesSource>();
  private readonly patterns: { pattern: RegExp; source: SeriesSource }[] = [];

  set(query: string | RegExp, series: SeriesSource): void {
    if (typeof query === 'string') this.exact.set(normalizeQuery(query), series);
    else {
      this.forget(query);
      this.patterns.push({ pattern: query, source: series });
    }
  }

  clear(query?: string | RegExp): void {
    if (query === undefined) {
      this.exact.clear();
      this.patterns.length = 0;
    } else if (typeof query === 'string') this.exact.delete(normalizeQuery(query));
    else this.forget(query);
  }

  private forget(pattern: RegExp): void {
    const at = this.patterns.findIndex((p) => samePattern(p.pattern, pattern));
    if (at >= 0) this.patterns.splice(at, 1);
  }

  /** The series `query` answers over [fromMs, toMs]: points outside left out, empty series omitted. */
  resolve(query: string, fromMs: number, toMs: number): SeriesSpec[] {
    const normalized = normalizeQuery(query);
    let source = this.exact.get(normalized);
    if (source === undefined) {
      for (let i = this.patterns.length - 1; i >= 0; i--) {
        const candidate = this.patterns[i] as { pattern: RegExp; source: SeriesSource };
        candidate.pattern.lastIndex = 0;
        if (candidate.pattern.test(query)) {
          source = candidate.source;
          break;
        }
      }
    }
    if (source === undefined) return [];
    const series = typeof source === 'function' ? source(fromMs, toMs, query) : source;
    return series
      .map((s) => ({ ...s, points: s.points.filter(([t]) => t >= fromMs && t <= toMs).sort((a, b) => a[0] - b[0]) }))
      .filter((s) => s.points.length > 0);
  }

  /** `GET /api/v1/query`. */
  query(request: Request): Answer {
    const from = seconds(request.query, 'from');
    const to = seconds(request.query, 'to');
    const query = request.query.get('query');
    if (query === null || query.trim() === '') throw new BadRequest("The value provided for parameter 'query' is invalid");
    const parsed = parseQuery(query);
    const series = this.resolve(query, from * 1000, to * 1000).map((s) => {
      const scopeTags = splitTags(s.scope);
      const metric = s.metric ?? parsed.metric;
      const first = (s.points[0] as MetricPoint)[0];
      const last = (s.points[s.points.length - 1] as MetricPoint)[0];
      return {
        metric,
        display_name: metric,
        expression: expressionFor(query, scopeTags),
        scope: scopeTags.length === 0 ? '*' : scopeTags.join(','),
        tag_set: scopeTags.filter((t) => parsed.groupBy.includes(tagKey(t))),
        pointlist: s.points.map(([t, v]) => [t, v]),
        length: s.points.length,
        start: first,
        end: last,
        interval: intervalOf(s.points),
        aggr: parsed.aggr,
        query_index: 0,
        ...(s.unit === undefined ? {} : { unit: [unitOf(s.unit), null] }),
      };
    });
    return {
      status: 200,
      body: {
        status: 'ok',
        res_type: 'time_series',
        resp_version: 1,
        query,
        from_date: from * 1000,
        to_date: to * 1000,
        group_by: parsed.groupBy,
        message: '',
        series,
      },
    };
  }
}
