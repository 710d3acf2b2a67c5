import { crc32, inflateSync } from 'node:zlib';
import { client, logger, v1, v2 } from '@datadog/datadog-api-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatadogStandIn } from '../../src/sandbox/datadog.js';

const API_KEY = 'sandbox-api-key';
const APP_KEY = 'sandbox-app-key';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const S0 = T0 / 1000;
const MINUTE = 60_000;

let now = T0;
let dd: DatadogStandIn;

function configuration(
  keys: { apiKeyAuth?: string; appKeyAuth?: string } = { apiKeyAuth: API_KEY, appKeyAuth: APP_KEY },
  extra: Parameters<typeof client.createConfiguration>[0] = {},
): client.Configuration {
  return client.createConfiguration({
    authMethods: keys,
    baseServer: new client.BaseServerConfiguration(dd.url, {}),
    enableRetry: false,
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<client.ApiException<unknown>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ApiException) return error as client.ApiException<unknown>;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The client marks anything it could not deserialize (an unknown enum value, a wrong type) `_unparsed`. */
function expectParsed(value: unknown): void {
  expect(JSON.stringify(value, (key, v: unknown) => (key === '_unparsed' ? 'UNPARSED' : v))).not.toContain('UNPARSED');
}

beforeEach(async () => {
  now = T0;
  dd = await DatadogStandIn.start({ apiKey: API_KEY, appKey: APP_KEY, clock: () => now });
});

afterEach(async () => {
  await dd.close();
});

describe('keys', () => {
  it('validates the API key', async () => {
    const api = new v1.AuthenticationApi(configuration());
    expect(await api.validate()).toMatchObject({ valid: true });
    const wrong = await failure(new v1.AuthenticationApi(configuration({ apiKeyAuth: 'nope', appKeyAuth: APP_KEY })).validate());
    expect(wrong.code).toBe(403);
    expect(wrong.body).toMatchObject({ errors: ['Forbidden'] });
  });

  it('answers 403 to a wrong or missing application key, and to a wrong API key', async () => {
    dd.setSeries('avg:system.load.1{*}', [{ scope: '*', points: [[T0, 1]] }]);
    const params = { from: S0 - 60, to: S0, query: 'avg:system.load.1{*}' };
    const wrongApp = await failure(new v1.MetricsApi(configuration({ apiKeyAuth: API_KEY, appKeyAuth: 'wrong' })).queryMetrics(params));
    expect(wrongApp.code).toBe(403);
    expect(wrongApp.body).toMatchObject({ errors: ['Forbidden'] });
    const noApp = await failure(new v1.MetricsApi(configuration({ apiKeyAuth: API_KEY, appKeyAuth: '' })).queryMetrics(params));
    expect(noApp.code).toBe(403);
    const wrongApi = await failure(new v1.MonitorsApi(configuration({ apiKeyAuth: 'wrong', appKeyAuth: APP_KEY })).listMonitors({}));
    expect(wrongApi.code).toBe(403);
    const event = await failure(new v1.EventsApi(configuration({ apiKeyAuth: 'wrong' })).createEvent({ body: { title: 't', text: 'x' } }));
    expect(event.code).toBe(403);
    expect(dd.events()).toEqual([]);
    expect(await new v1.MetricsApi(configuration()).queryMetrics(params)).toMatchObject({ status: 'ok' });
  });

  it('takes events and DORA records with the API key alone, as the client sends them', async () => {
    const apiOnly = configuration({ apiKeyAuth: API_KEY });
    await new v1.EventsApi(apiOnly).createEvent({ body: { title: 'Release v1.4.0 started', text: 'by @ana' } });
    await new v2.DORAMetricsApi(apiOnly).createDORADeployment({
      body: { data: { attributes: { service: 'shop', startedAt: S0 - 600, finishedAt: S0 } } },
    });
    expect(dd.events()).toHaveLength(1);
    expect(dd.doraDeployments()).toHaveLength(1);
  });
});

describe('metric queries', () => {
  it('round-trips a series with null points, keeping only the requested window', async () => {
    const query = 'p99:trace.web.request{service:shop,env:prod}';
    dd.setSeries(query, [
      {
        scope: 'env:prod,service:shop',
        unit: 'second',
        points: [
          [T0 - 10 * MINUTE, 9],
          [T0 - 3 * MINUTE, 0.21],
          [T0 - 2 * MINUTE, null],
          [T0 - MINUTE, 0.24],
          [T0, 0.25],
          [T0 + MINUTE, 0.9],
        ],
      },
    ]);
    const api = new v1.MetricsApi(configuration());
    const response = await api.queryMetrics({ from: S0 - 5 * 60, to: S0, query });
    expectParsed(response);
    expect(response).toMatchObject({ status: 'ok', resType: 'time_series', query, fromDate: T0 - 5 * MINUTE, toDate: T0 });
    expect(response.series).toHaveLength(1);
    const [series] = response.series ?? [];
    expect(series?.pointlist).toEqual([
      [T0 - 3 * MINUTE, 0.21],
      [T0 - 2 * MINUTE, null],
      [T0 - MINUTE, 0.24],
      [T0, 0.25],
    ]);
    expect(series).toMatchObject({
      metric: 'trace.web.request',
      displayName: 'trace.web.request',
      aggr: 'p99',
      scope: 'env:prod,service:shop',
      tagSet: [],
      length: 4,
      start: T0 - 3 * MINUTE,
      end: T0,
      interval: 60,
      expression: 'p99:trace.web.request{service:shop,env:prod}',
    });
    expect(series?.unit?.[0]).toMatchObject({ family: 'time', name: 'second', shortName: 's' });
    expect(series?.unit?.[1]).toBeNull();
    expect(dd.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/v1/query',
      query: { from: String(S0 - 300), to: String(S0), query },
    });
  });

  it('answers one series per group for a grouped query', async () => {
    const query = 'avg:runtime.node.cpu.total{service:shop} by {host}';
    dd.setSeries(query, [
      { scope: 'host:a', points: [[T0 - MINUTE, 40], [T0, 45]] },
      { scope: 'host:b', points: [[T0 - MINUTE, 70], [T0, 95]] },
    ]);
    const response = await new v1.MetricsApi(configuration()).queryMetrics({ from: S0 - 600, to: S0, query });
    expectParsed(response);
    expect(response.groupBy).toEqual(['host']);
    expect(response.series?.map((s) => [s.scope, s.tagSet, s.expression, s.pointlist?.at(-1)?.[1]])).toEqual([
      ['host:a', ['host:a'], 'avg:runtime.node.cpu.total{service:shop,host:a}', 45],
      ['host:b', ['host:b'], 'avg:runtime.node.cpu.total{service:shop,host:b}', 95],
    ]);
  });

  it('answers no data for an unknown query, and for a window with no points', async () => {
    dd.setSeries('avg:system.load.1{*}', [{ scope: '*', points: [[T0 - 60 * MINUTE, 1]] }]);
    const api = new v1.MetricsApi(configuration());
    const unknown = await api.queryMetrics({ from: S0 - 600, to: S0, query: 'avg:nothing.here{*}' });
    expect(unknown).toMatchObject({ status: 'ok', resType: 'time_series', series: [] });
    const outside = await api.queryMetrics({ from: S0 - 600, to: S0, query: 'avg:system.load.1{*}' });
    expect(outside.series).toEqual([]);
    dd.clearSeries();
    const cleared = await api.queryMetrics({ from: S0 - 7200, to: S0, query: 'avg:system.load.1{*}' });
    expect(cleared.series).toEqual([]);
  });

  it('keys a ratio query by its string (whitespace aside), and takes patterns and window functions', async () => {
    dd.setSeries('sum:trace.web.request.errors{service:shop}.as_count()/sum:trace.web.request.hits{service:shop}.as_count()', [
      { scope: 'service:shop', points: [[T0, 0.012]] },
    ]);
    const windows: [number, number][] = [];
    dd.setSeries(/^avg:runtime\.node\.mem\.rss\{/, (fromMs, toMs) => {
      windows.push([fromMs, toMs]);
      const points: [number, number][] = [];
      for (let t = fromMs; t <= toMs; t += MINUTE) points.push([t, 100 + (t - fromMs) / MINUTE]);
      return [{ scope: '*', points }];
    });
    const api = new v1.MetricsApi(configuration());
    const ratio = await api.queryMetrics({
      from: S0 - 60,
      to: S0,
      query: 'sum:trace.web.request.errors{service:shop}.as_count() / sum:trace.web.request.hits{service:shop}.as_count()',
    });
    expectParsed(ratio);
    expect(ratio.series?.[0]).toMatchObject({ pointlist: [[T0, 0.012]], metric: 'trace.web.request.errors / trace.web.request.hits' });
    const rss = await api.queryMetrics({ from: S0 - 300, to: S0, query: 'avg:runtime.node.mem.rss{service:shop}' });
    expect(windows).toEqual([[T0 - 5 * MINUTE, T0]]);
    expect(rss.series?.[0]?.pointlist?.map(([, v]) => v)).toEqual([100, 101, 102, 103, 104, 105]);
  });

  it('answers 400 to a missing time', async () => {
    const response = await fetch(`${dd.url}/api/v1/query?query=avg:x{*}&to=${S0}`, {
      headers: { 'DD-API-KEY': API_KEY, 'DD-APPLICATION-KEY': APP_KEY },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [expect.stringContaining('from')] });
  });
});

describe('graph snapshots', () => {
  it('serves the snapshot URL as a real PNG of the series', async () => {
    const query = 'avg:runtime.node.cpu.total{service:shop} by {host}';
    dd.setSeries(query, [
      { scope: 'host:a', points: Array.from({ length: 11 }, (_, i): [number, number | null] => [T0 - (10 - i) * MINUTE, i === 5 ? null : 30 + i]) },
      { scope: 'host:b', points: Array.from({ length: 11 }, (_, i): [number, number] => [T0 - (10 - i) * MINUTE, 80 - i * 2]) },
    ]);
    const api = new v1.SnapshotsApi(configuration());
    const snapshot = await api.getGraphSnapshot({ metricQuery: query, start: S0 - 600, end: S0, title: 'CPU after v1.4.0', width: 400, height: 200 });
    expectParsed(snapshot);
    expect(snapshot.metricQuery).toBe(query);
    expect(JSON.parse(snapshot.graphDef ?? '')).toMatchObject({ requests: [{ q: query }] });
    expect(snapshot.snapshotUrl).toMatch(new RegExp(`^${dd.url}/snapshot/view/.+/[0-9a-f]{40}\\.png$`));
    expect(dd.snapshots()).toEqual([
      expect.objectContaining({ metricQuery: query, title: 'CPU after v1.4.0', start: S0 - 600, end: S0, width: 400, height: 200, url: snapshot.snapshotUrl }),
    ]);

    // No keys: Datadog's snapshot URLs are public.
    const response = await fetch(snapshot.snapshotUrl ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await response.arrayBuffer());
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(8)).toBe(13);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(400);
    expect(png.readUInt32BE(20)).toBe(200);
    expect([png[24], png[25]]).toEqual([8, 2]);

    // Walk the chunks: every CRC checks out (with node's own crc32) and the pixels decode.
    const idat: Buffer[] = [];
    const types: string[] = [];
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      const type = png.subarray(at + 4, at + 8).toString('ascii');
      types.push(type);
      expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
    expect(types[0]).toBe('IHDR');
    expect(types.at(-1)).toBe('IEND');
    const raw = inflateSync(Buffer.concat(idat));
    expect(raw.length).toBe((400 * 3 + 1) * 200);
    const coloured = new Set<string>();
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 400; x++) {
        const at = y * (400 * 3 + 1) + 1 + x * 3;
        const [r, g, b] = [raw[at] as number, raw[at + 1] as number, raw[at + 2] as number];
        if (!(r === g && g === b) && !(r === 228 && g === 228 && b === 232)) coloured.add(`${r},${g},${b}`);
      }
    }
    expect(coloured.size).toBeGreaterThanOrEqual(2);
  });

  it('needs a query, and knows only the snapshots it took', async () => {
    const missing = await failure(new v1.SnapshotsApi(configuration()).getGraphSnapshot({ start: S0 - 60, end: S0 }));
    expect(missing.code).toBe(400);
    const unknown = await fetch(`${dd.url}/snapshot/view/dd-snapshots-sandbox/org_1/2026-11-20/${'0'.repeat(40)}.png`);
    expect(unknown.status).toBe(404);
  });
});

describe('events and DORA', () => {
  it('records an event and answers 202 with it', async () => {
    let changes = 0;
    dd.on('change', () => changes++);
    const api = new v1.EventsApi(configuration());
    const response = await api.createEvent({
      body: { title: 'Deployed shop v1.4.0', text: 'Release v1.4.0 reached production', tags: ['service:shop', 'env:prod', 'release:v1.4.0'], alertType: 'success' },
    });
    expectParsed(response);
    expect(response.status).toBe('ok');
    expect(response.event).toMatchObject({
      title: 'Deployed shop v1.4.0',
      text: 'Release v1.4.0 reached production',
      tags: ['service:shop', 'env:prod', 'release:v1.4.0'],
      dateHappened: S0,
      alertType: 'success',
    });
    expect(Number.isSafeInteger(response.event?.id)).toBe(true);
    expect(response.event?.url).toBe(`${dd.url}/event/event?id=${response.event?.id}`);
    expect(dd.events()).toEqual([
      expect.objectContaining({ id: response.event?.id, title: 'Deployed shop v1.4.0', alertType: 'success', priority: 'normal', dateHappened: S0 }),
    ]);
    expect(changes).toBe(1);

    const raw = await fetch(`${dd.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'DD-API-KEY': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Second', text: '', date_happened: S0 - 30 }),
    });
    expect(raw.status).toBe(202);
    expect(dd.events().map((e) => [e.title, e.dateHappened])).toEqual([
      ['Deployed shop v1.4.0', S0],
      ['Second', S0 - 30],
    ]);
  });

  it('records DORA deployments and failures, with times in milliseconds', async () => {
    const api = new v2.DORAMetricsApi(configuration());
    const deployment = await api.createDORADeployment({
      body: {
        data: {
          attributes: {
            service: 'shop',
            env: 'prod',
            version: 'v1.4.0',
            team: 'payments',
            startedAt: (T0 - 10 * MINUTE) * 1_000_000,
            finishedAt: T0 * 1_000_000,
            git: { commitSha: 'a'.repeat(40), repositoryUrl: 'https://github.com/acme/shop' },
            customTags: ['release:v1.4.0'],
          },
        },
      },
    });
    expectParsed(deployment);
    expect(deployment.data.type).toBe('dora_deployment');
    expect(deployment.data.id).toMatch(/^[0-9a-f]{16}$/);
    const failureResponse = await api.createDORAFailure({
      body: { data: { attributes: { name: 'Checkout errors after v1.4.0', services: ['shop'], env: 'prod', severity: 'High', startedAt: T0 + MINUTE } } },
    });
    expectParsed(failureResponse);
    expect(failureResponse.data.type).toBe('dora_failure');

    expect(dd.doraDeployments()).toEqual([
      expect.objectContaining({
        id: deployment.data.id,
        service: 'shop',
        env: 'prod',
        version: 'v1.4.0',
        team: 'payments',
        startedAt: T0 - 10 * MINUTE,
        finishedAt: T0,
        git: { commitSha: 'a'.repeat(40), repositoryUrl: 'https://github.com/acme/shop' },
        customTags: ['release:v1.4.0'],
      }),
    ]);
    expect(dd.doraFailures()).toEqual([
      expect.objectContaining({ id: failureResponse.data.id, name: 'Checkout errors after v1.4.0', services: ['shop'], severity: 'High', startedAt: T0 + MINUTE }),
    ]);

    const raw = await fetch(`${dd.url}/api/v2/dora/deployment`, {
      method: 'POST',
      headers: { 'DD-API-KEY': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { attributes: { service: 'shop', started_at: S0 - 60, finished_at: S0, id: 'deploy-shop-v1.4.1-0001' } } }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/vnd.api+json');
    expect(await raw.json()).toEqual({ data: { id: 'deploy-shop-v1.4.1-0001', type: 'dora_deployment' } });
    expect(dd.doraDeployments()[1]).toMatchObject({ startedAt: T0 - MINUTE, finishedAt: T0 });

    const invalid = await failure(api.createDORADeployment({ body: { data: { attributes: { service: '', startedAt: S0, finishedAt: S0 } } } }));
    expect(invalid.code).toBe(400);
    expect(dd.doraDeployments()).toHaveLength(2);
  });
});

describe('monitors', () => {
  beforeEach(() => {
    dd.setMonitors([
      { id: 101, name: 'shop p99 latency', overallState: 'Alert', tags: ['service:shop', 'env:prod', 'team:payments'] },
      {
        id: 102,
        name: 'shop error rate',
        overallState: 'Warn',
        tags: ['service:shop', 'env:prod'],
        query: 'sum(last_5m):sum:trace.web.request.errors{service:shop,env:prod} by {host}.as_count() > 50',
        groups: [
          { name: 'host:a', status: 'Warn' },
          { name: 'host:b', status: 'OK' },
        ],
      },
      { id: 103, name: 'cart latency', overallState: 'OK', tags: ['service:cart', 'env:prod'] },
      { id: 104, name: 'shop staging', overallState: 'No Data', tags: ['service:shop', 'env:staging'], type: 'metric alert' },
    ]);
  });

  it('lists monitors filtered by scope tags and by monitor tags', async () => {
    const api = new v1.MonitorsApi(configuration());
    const all = await api.listMonitors({});
    expectParsed(all);
    expect(all.map((m) => [m.id, m.overallState, m.type])).toEqual([
      [101, 'Alert', 'query alert'],
      [102, 'Warn', 'query alert'],
      [103, 'OK', 'query alert'],
      [104, 'No Data', 'metric alert'],
    ]);
    expect(all[0]).toMatchObject({ name: 'shop p99 latency', tags: ['service:shop', 'env:prod', 'team:payments'], query: expect.stringContaining('{service:shop,env:prod,team:payments}') });
    expect(all[0]?.created).toEqual(new Date(T0));

    const prodShop = await api.listMonitors({ tags: 'service:shop,env:prod' });
    expect(prodShop.map((m) => m.id)).toEqual([101, 102]);
    const payments = await api.listMonitors({ monitorTags: 'team:payments' });
    expect(payments.map((m) => m.id)).toEqual([101]);
    const both = await api.listMonitors({ tags: 'service:shop', monitorTags: 'env:staging' });
    expect(both.map((m) => m.id)).toEqual([104]);
    const byName = await api.listMonitors({ name: 'LATENCY' });
    expect(byName.map((m) => m.id)).toEqual([101, 103]);
    expect(dd.requests.at(-1)).toMatchObject({ path: '/api/v1/monitor', query: { name: 'LATENCY' } });
  });

  it('shows group states only when asked, and filters them by state', async () => {
    const api = new v1.MonitorsApi(configuration());
    const plain = await api.listMonitors({ tags: 'service:shop,env:prod' });
    expect(plain[1]?.state).toBeUndefined();
    const alerting = await api.listMonitors({ tags: 'service:shop,env:prod', groupStates: 'alert,warn' });
    expectParsed(alerting);
    expect(alerting.map((m) => m.id)).toEqual([101, 102]);
    expect(Object.keys(alerting[1]?.state?.groups ?? {})).toEqual(['host:a']);
    expect(alerting[1]?.state?.groups?.['host:a']).toMatchObject({ name: 'host:a', status: 'Warn', lastTriggeredTs: S0 });
    const everything = await api.listMonitors({ monitorTags: 'service:shop', groupStates: 'all' });
    expect(Object.keys(everything.find((m) => m.id === 102)?.state?.groups ?? {})).toEqual(['host:a', 'host:b']);
  });
});

describe('faults', () => {
  it('failNext answers the given status for the matching path, then recovers', async () => {
    dd.setSeries('avg:system.load.1{*}', [{ scope: '*', points: [[T0, 1]] }]);
    const metrics = new v1.MetricsApi(configuration());
    const params = { from: S0 - 60, to: S0, query: 'avg:system.load.1{*}' };
    dd.failNext(/^\/api\/v1\/query$/, 500, 2);
    expect((await failure(metrics.queryMetrics(params))).code).toBe(500);
    // Other paths are unaffected.
    expect(await new v1.MonitorsApi(configuration()).listMonitors({})).toEqual([]);
    expect((await failure(metrics.queryMetrics(params))).code).toBe(500);
    expect((await metrics.queryMetrics(params)).series).toHaveLength(1);

    dd.failNext(/^\/api\/v1\/events$/, 429);
    const limited = await failure(new v1.EventsApi(configuration()).createEvent({ body: { title: 't', text: 'x' } }));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ errors: ['Too Many Requests'] });
    expect(dd.events()).toEqual([]);
  });

  it('a client with enableRetry rides out a 429 (the stand-in asks for a 1 s pause)', async () => {
    dd.failNext(/^\/api\/v2\/dora\/deployment$/, 429);
    const api = new v2.DORAMetricsApi(configuration(undefined, { enableRetry: true, maxRetries: 2 }));
    const response = await api.createDORADeployment({ body: { data: { attributes: { service: 'shop', startedAt: S0 - 60, finishedAt: S0 } } } });
    expect(response.data.type).toBe('dora_deployment');
    expect(dd.requests.filter((r) => r.path === '/api/v2/dora/deployment')).toHaveLength(2);
    expect(dd.doraDeployments()).toHaveLength(1);
  });

  it('an outage answers 503 to everything until it ends', async () => {
    dd.outage(true);
    expect((await failure(new v1.AuthenticationApi(configuration()).validate())).code).toBe(503);
    expect((await failure(new v1.MetricsApi(configuration()).queryMetrics({ from: S0 - 60, to: S0, query: 'avg:x{*}' }))).code).toBe(503);
    expect((await failure(new v1.EventsApi(configuration()).createEvent({ body: { title: 't', text: 'x' } }))).code).toBe(503);
    dd.outage(false);
    expect(await new v1.AuthenticationApi(configuration()).validate()).toMatchObject({ valid: true });
  });

  it('slowNext delays the answer past a client timeout, once', async () => {
    dd.slowNext(/^\/api\/v1\/query$/, 1_000);
    const params = { from: S0 - 60, to: S0, query: 'avg:x{*}' };
    const timedOut = configuration(undefined, { httpConfig: { signal: AbortSignal.timeout(150) } });
    // The client logs every failed request at error level; this one is expected.
    const clientLogger = logger as { getLevel(): number; setLevel(level: number | 'silent'): void };
    const level = clientLogger.getLevel();
    clientLogger.setLevel('silent');
    const started = Date.now();
    try {
      await expect(new v1.MetricsApi(timedOut).queryMetrics(params)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      clientLogger.setLevel(level);
    }
    expect(Date.now() - started).toBeLessThan(900);
    const response = await new v1.MetricsApi(configuration()).queryMetrics(params);
    expect(response.series).toEqual([]);
  });
});

describe('logs', () => {
  const body = (query: string, from: number, to: number, extra: Record<string, unknown> = {}) => ({
    body: { compute: [{ aggregation: 'count' as const, type: 'total' as const }], filter: { query, from: new Date(from).toISOString(), to: new Date(to).toISOString(), indexes: ['*'] }, ...extra },
  });

  it('counts the log lines a search matches in the window, in the client\'s LogsAggregateResponse shape', async () => {
    dd.pushLogs([
      { at: T0 - 2 * MINUTE, service: 'shop', env: 'prod', status: 'error', message: 'checkout failed' },
      { at: T0 - MINUTE, service: 'shop', env: 'prod', status: 'warn', message: 'slow query' },
      { at: T0 - MINUTE, service: 'shop', env: 'prod', status: 'info', message: 'ok' },
      { at: T0 - MINUTE, service: 'shop', env: 'staging', status: 'error', message: 'x' },
      { at: T0 - MINUTE, service: 'wallet', env: 'prod', status: 'error', message: 'x' },
      { at: T0 - 30 * MINUTE, service: 'shop', env: 'prod', status: 'error', message: 'before the window' },
    ]);
    const api = new v2.LogsApi(configuration());
    const answer = await api.aggregateLogs(body('service:shop env:prod status:(error OR warn)', T0 - 15 * MINUTE, T0));
    expectParsed(answer);
    expect(answer.meta?.status).toBe('done');
    expect(answer.data?.buckets).toEqual([expect.objectContaining({ by: {}, computes: { c0: 2 } })]);
    const sent = dd.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', path: '/api/v2/logs/analytics/aggregate' });
    expect(sent.body).toMatchObject({ compute: [{ aggregation: 'count', type: 'total' }], filter: { query: 'service:shop env:prod status:(error OR warn)' } });

    const grouped = await api.aggregateLogs(body('service:shop -status:info', T0 - 15 * MINUTE, T0, { groupBy: [{ facet: 'env' }] }));
    expect(grouped.data?.buckets?.map((b) => [b.by?.env, b.computes?.c0])).toEqual([['prod', 2], ['staging', 1]]);
  });

  it('answers no bucket when nothing matches, 400 to what it cannot compute or parse, 403 without the application key', async () => {
    const api = new v2.LogsApi(configuration());
    expect((await api.aggregateLogs(body('service:shop status:error', T0 - MINUTE, T0))).data?.buckets).toEqual([]);
    const average = await failure(api.aggregateLogs({ body: { compute: [{ aggregation: 'avg', metric: '@duration' }], filter: { query: '*' } } }));
    expect(average.code).toBe(400);
    const broken = await failure(api.aggregateLogs(body('service:(shop', T0 - MINUTE, T0)));
    expect(broken.code).toBe(400);
    const noApp = await failure(new v2.LogsApi(configuration({ apiKeyAuth: API_KEY })).aggregateLogs(body('*', T0 - MINUTE, T0)));
    expect(noApp.code).toBe(403);
  });
});
