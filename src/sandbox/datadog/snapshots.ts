/** Graph snapshots (`GET /api/v1/graph/snapshot`) and the PNG each snapshot URL serves without keys. */
import { createHash } from 'node:crypto';
import { BadRequest, clampInt, errors, seconds, type Answer, type Request } from './http.js';
import type { MetricSeries } from './metrics.js';
import type { Org } from './org.js';
import { renderChart } from './png.js';
import { graphDefQueries } from './queries.js';
import type { MetricPoint, SnapshotRecord } from './types.js';

export interface KeptSnapshot extends SnapshotRecord {
  series: { scope: string; points: MetricPoint[] }[];
}

interface StoredSnapshot extends KeptSnapshot {
  png?: Buffer;
}

export class Snapshots {
  private readonly list: StoredSnapshot[] = [];

  constructor(
    private readonly org: Org,
    private readonly series: MetricSeries,
  ) {}

  records(): SnapshotRecord[] {
    return this.list.map(({ series: _series, png: _png, ...record }) => ({ ...record }));
  }

  /** Every snapshot with the points it drew, for the stand-in's snapshot (the pictures are drawn again when asked). */
  kept(): KeptSnapshot[] {
    return this.list.map(({ png: _png, ...snapshot }) => structuredClone(snapshot));
  }

  restore(snapshots: KeptSnapshot[]): void {
    this.list.splice(0, this.list.length, ...structuredClone(snapshots));
  }

  take(request: Request): Answer {
    const start = seconds(request.query, 'start');
    const end = seconds(request.query, 'end');
    const metricQuery = request.query.get('metric_query') ?? undefined;
    const graphDefParam = request.query.get('graph_def') ?? undefined;
    let queries: string[];
    if (metricQuery !== undefined && metricQuery.trim() !== '') {
      queries = [metricQuery];
    } else if (graphDefParam !== undefined) {
      queries = graphDefQueries(graphDefParam);
    } else {
      throw new BadRequest('One of metric_query or graph_def is required');
    }
    const title = request.query.get('title') ?? undefined;
    const width = clampInt(request.query.get('width'), 600, 100, 2000);
    const height = clampInt(request.query.get('height'), 300, 80, 1500);
    const id = createHash('sha1').update(`snapshot:${this.org.nextSeq()}`).digest('hex');
    const day = new Date(this.org.clock()).toISOString().slice(0, 10);
    const graphDef = graphDefParam ?? JSON.stringify({ requests: queries.map((q) => ({ q })), viz: 'timeseries' });
    const series = queries.flatMap((q) => this.series.resolve(q, start * 1000, end * 1000).map((s) => ({ scope: s.scope, points: s.points })));
    const stored: StoredSnapshot = {
      id,
      metricQuery: queries.join(', '),
      graphDef,
      ...(title === undefined ? {} : { title }),
      start,
      end,
      width,
      height,
      url: `${this.org.url}/snapshot/view/dd-snapshots-sandbox/org_1/${day}/${id}.png`,
      series,
    };
    this.list.push(stored);
    this.org.changed();
    return { status: 200, body: { graph_def: graphDef, metric_query: stored.metricQuery, snapshot_url: stored.url } };
  }

  image(id: string): Answer {
    const snapshot = this.list.find((s) => s.id === id);
    if (snapshot === undefined) return errors(404, 'Not found');
    snapshot.png ??= renderChart(snapshot.width, snapshot.height, snapshot.start * 1000, snapshot.end * 1000, snapshot.series);
    return { status: 200, raw: snapshot.png, contentType: 'image/png' };
  }

}
