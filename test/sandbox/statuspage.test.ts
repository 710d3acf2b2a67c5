import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatuspage, StatusPageRefusedError, StatusPageUnavailableError } from '../../src/integrations/status-page.js';
import { StatuspageStandIn } from '../../src/sandbox/statuspage.js';

const KEY = 'sp-test-key';

describe('the Statuspage stand-in', () => {
  let page: StatuspageStandIn;
  const api = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${page.url}/pages/${page.pageId}${path}`, { ...init, headers: { authorization: `OAuth ${init.key ?? KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    page = await StatuspageStandIn.start({ apiKey: KEY, components: [{ id: 'cmpapi000001', name: 'API' }] });
  });
  afterAll(() => page.close());

  it('creates a scheduled maintenance in the wire format and lists it', async () => {
    const res = await api('/incidents', {
      method: 'POST',
      body: JSON.stringify({
        incident: {
          name: 'Scheduled Maintenance: v1.3.0',
          status: 'scheduled',
          body: 'We are planning to release version v1.3.0.',
          scheduled_for: '2030-01-10T14:00:00Z',
          scheduled_until: '2030-01-10T15:30:00Z',
          scheduled_remind_prior: true,
          scheduled_auto_in_progress: false,
          scheduled_auto_completed: false,
          metadata: { tminus: { key: 'k1' } },
          components: { cmpapi000001: 'operational' },
          component_ids: ['cmpapi000001'],
        },
      }),
    });
    expect(res.status).toBe(201);
    const incident = (await res.json()) as Record<string, unknown>;
    expect(incident).toMatchObject({ name: 'Scheduled Maintenance: v1.3.0', status: 'scheduled', impact: 'maintenance', page_id: page.pageId, scheduled_for: '2030-01-10T14:00:00.000Z', metadata: { tminus: { key: 'k1' } } });
    expect(incident.id).toMatch(/^[a-z0-9]{12}$/);
    expect((incident.incident_updates as { body: string }[])[0]!.body).toBe('We are planning to release version v1.3.0.');
    const listed = (await (await api('/incidents?q=v1.3.0&limit=10')).json()) as { id: string }[];
    expect(listed.map((i) => i.id)).toEqual([incident.id]);
    expect(await (await api('/incidents?q=nothing-like-it')).json()).toEqual([]);
    expect(((await (await api('/incidents/scheduled')).json()) as unknown[]).length).toBe(1);

    const patched = await api(`/incidents/${String(incident.id)}`, { method: 'PATCH', body: JSON.stringify({ incident: { status: 'in_progress', body: 'Started', components: { cmpapi000001: 'under_maintenance' } } }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ status: 'in_progress', incident_updates: [{ status: 'in_progress', body: 'Started', affected_components: [{ code: 'cmpapi000001', old_status: 'operational', new_status: 'under_maintenance' }] }, { status: 'scheduled' }] });
    expect(page.components()[0]!.status).toBe('under_maintenance');
  });

  it('checks the key, the page and the body as Statuspage does', async () => {
    expect((await api('/incidents', { key: 'wrong' })).status).toBe(401);
    expect((await fetch(`${page.url}/pages/${page.pageId}/incidents`)).status).toBe(401);
    expect((await fetch(`${page.url}/pages/otherpage/incidents`, { headers: { authorization: `OAuth ${KEY}` } })).status).toBe(404);
    const invalid = await api('/incidents', { method: 'POST', body: JSON.stringify({ incident: { name: '', status: 'in_progress' } }) });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: string[] }).error).toEqual(expect.arrayContaining(["Name can't be blank", 'Status in_progress is not valid for an incident']));
    const window = await api('/incidents', { method: 'POST', body: JSON.stringify({ incident: { name: 'x', status: 'scheduled', scheduled_for: '2030-01-10T15:00:00Z', scheduled_until: '2030-01-10T14:00:00Z' } }) });
    expect(window.status).toBe(422);
    const component = await api('/incidents', { method: 'POST', body: JSON.stringify({ incident: { name: 'x', status: 'investigating', components: { nope: 'major_outage' } } }) });
    expect(component.status).toBe(422);
    expect((await api('/incidents', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await api('/incidents/doesnotexist')).status).toBe(404);
  });

  it('moves a maintenance\'s window through the client, and refuses a window on an incident or one that ends first', async () => {
    const client = createStatuspage({ apiKey: KEY, pageId: page.pageId, apiUrl: page.url, timeoutMs: 2_000 });
    const from = new Date('2030-02-07T14:00:00Z');
    const maintenance = await client.create({ key: 'move-1', name: 'Scheduled Maintenance: v2.0.0', status: 'scheduled', body: 'Planned', scheduled: { from, until: new Date('2030-02-07T15:30:00Z'), remindPrior: true, autoInProgress: false, autoCompleted: false } });
    const to = new Date('2030-02-14T14:00:00Z');
    const moved = await client.update(maintenance.id, { status: 'scheduled', name: 'Scheduled Maintenance: v2.0.0 moved', body: 'It moved', scheduled: { from: to, until: new Date('2030-02-14T15:30:00Z') } });
    expect(moved).toMatchObject({ status: 'scheduled', name: 'Scheduled Maintenance: v2.0.0 moved', scheduledFor: '2030-02-14T14:00:00.000Z', scheduledUntil: '2030-02-14T15:30:00.000Z', lastUpdate: 'It moved' });
    const backwards = await client.update(maintenance.id, { status: 'scheduled', body: 'x', scheduled: { from: to, until: from } }).catch((e: unknown) => e);
    expect(backwards).toMatchObject({ status: 422 });
    expect(backwards).toBeInstanceOf(StatusPageRefusedError);
    const incident = await client.create({ key: 'move-2', name: 'An incident', status: 'investigating', body: 'x' });
    expect(await client.update(incident.id, { status: 'identified', body: 'x', scheduled: { from, until: to } }).catch((e: unknown) => e)).toMatchObject({ status: 422 });
    expect((await client.get(incident.id))!.status).toBe('investigating');
  });

  it('is rude on demand: 5xx, 429 with Retry-After, an outage, answers lost after the work was done', async () => {
    page.failNext(/\/incidents$/, 429, 1, { method: 'GET', retryAfter: 7 });
    const limited = await api('/incidents');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    page.failNext(/\/incidents$/, 502, 1, { method: 'GET' });
    expect((await api('/incidents')).status).toBe(502);
    page.outage(true);
    expect((await api('/incidents')).status).toBe(503);
    page.outage(false);

    const before = page.incidents().length;
    page.loseNextAnswer(/\/incidents$/, 1, 'POST');
    await expect(api('/incidents', { method: 'POST', body: JSON.stringify({ incident: { name: 'Lost answer', status: 'investigating', body: 'x' } }) })).rejects.toThrow();
    expect(page.incidents().length).toBe(before + 1);
    expect(page.incidents()[0]!.name).toBe('Lost answer');
  });

  it('speaks to tminus\'s client: its errors say whether the call may have landed', async () => {
    const client = createStatuspage({ apiKey: KEY, pageId: page.pageId, apiUrl: page.url, timeoutMs: 2_000 });
    const created = await client.create({ key: 'client-1', name: 'Rolling back v1.3.0 to v1.2.0', status: 'identified', body: 'What happened', impact: 'major', components: { cmpapi000001: 'degraded_performance' } });
    expect(created).toMatchObject({ key: 'client-1', status: 'identified' });
    expect(await client.findByKey('client-1', created.name)).toMatchObject({ id: created.id });
    expect(await client.get('nosuchincide')).toBeUndefined();

    // A short Retry-After is waited out inside the call.
    page.failNext(/\/incidents\/[a-z0-9]+$/, 429, 1, { method: 'PATCH', retryAfter: 0 });
    expect(await client.update(created.id, { status: 'resolved', body: 'Rolled back' })).toMatchObject({ status: 'resolved' });

    page.failNext(/\/incidents$/, 429, 1, { method: 'POST', retryAfter: 60 });
    const limited = await client.create({ key: 'client-2', name: 'x', status: 'investigating', body: 'x' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(StatusPageUnavailableError);
    expect(limited).toMatchObject({ maybeProcessed: false, status: 429, retryAfterMs: 60_000 });

    page.failNext(/\/incidents$/, 500, 1, { method: 'POST' });
    expect(await client.create({ key: 'client-3', name: 'x', status: 'investigating', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ maybeProcessed: true, status: 500 });
    page.loseNextAnswer(/\/incidents$/, 1, 'POST');
    expect(await client.create({ key: 'client-4', name: 'Lost create', status: 'investigating', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ maybeProcessed: true });
    expect(await client.findByKey('client-4', 'Lost create')).toMatchObject({ name: 'Lost create' });

    const wrongKey = createStatuspage({ apiKey: 'nope', pageId: page.pageId, apiUrl: page.url });
    expect(await wrongKey.create({ key: 'k', name: 'x', status: 'investigating', body: 'x' }).catch((e: unknown) => e)).toBeInstanceOf(StatusPageRefusedError);
  });
});
