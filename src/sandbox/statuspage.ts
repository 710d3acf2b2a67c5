/**
 * A local Atlassian Statuspage API (REST v1) stand-in: a real HTTP server on 127.0.0.1 speaking the wire
 * format of `https://api.statuspage.io/v1/pages/{page_id}/…` for one page — incidents and scheduled
 * maintenance (list with `q`/`limit`/`page`, unresolved, scheduled, get, create, update), components.
 * `Authorization: OAuth <key>` is checked on every call (401 `{"error": …}` otherwise), another page id is
 * 404, a bad body 400 or 422 with Statuspage's `{"error": [...]}`. Rude on demand: 5xx or 429 with
 * Retry-After, an outage, and answers lost after the work was done (the connection is cut). Emits 'change'
 * after every write and every scripting call.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenLocally } from './listen.js';

const MAINTENANCE = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
const INCIDENT = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
const COMPONENT = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
const IMPACTS = ['none', 'maintenance', 'minor', 'major', 'critical'] as const;

export interface SpComponent {
  id: string;
  page_id: string;
  group_id: null;
  name: string;
  description: string | null;
  position: number;
  status: (typeof COMPONENT)[number];
  showcase: boolean;
  only_show_if_degraded: boolean;
  created_at: string;
  updated_at: string;
}

export interface SpIncidentUpdate {
  id: string;
  incident_id: string;
  body: string;
  status: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  deliver_notifications: boolean;
  affected_components: { code: string; name: string; old_status: string; new_status: string }[] | null;
}

export interface SpIncident {
  id: string;
  page_id: string;
  name: string;
  status: string;
  impact: string;
  impact_override: string | null;
  created_at: string;
  updated_at: string;
  started_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  scheduled_for: string | null;
  scheduled_until: string | null;
  scheduled_remind_prior: boolean;
  scheduled_auto_in_progress: boolean;
  scheduled_auto_completed: boolean;
  metadata: Record<string, unknown>;
  shortlink: string;
  components: SpComponent[];
  incident_updates: SpIncidentUpdate[];
}

export interface RecordedSpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** What the caller got: a status, or 'lost' when the connection was cut after the work was done. */
  answered: number | 'lost';
}

interface Fault {
  method?: string;
  path: RegExp;
  status: number | 'lost';
  retryAfter?: number;
  remaining: number;
}

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly errors: string | string[],
  ) {
    super(Array.isArray(errors) ? errors.join('; ') : errors);
  }
}

export interface StatuspageSnapshot {
  incidents: SpIncident[];
  components: SpComponent[];
  outage: boolean;
}

export class StatuspageStandIn extends EventEmitter {
  /** The API's base, as `STATUSPAGE_API_URL` takes it: `http://127.0.0.1:port/v1`. */
  readonly url: string;
  readonly apiKey: string;
  readonly pageId: string;
  readonly requests: RecordedSpRequest[] = [];
  private readonly clock: () => number;
  private readonly incidentList: SpIncident[] = [];
  private readonly componentList: SpComponent[] = [];
  private readonly faults: Fault[] = [];
  private outageOn = false;

  static async start(options: { apiKey: string; pageId?: string; components?: { id?: string; name: string }[]; clock?: () => number; port?: number }): Promise<StatuspageStandIn> {
    const { server, url } = await listenLocally(options.port);
    return new StatuspageStandIn(server, `${url}/v1`, options);
  }

  private constructor(
    private readonly server: Server,
    url: string,
    options: { apiKey: string; pageId?: string; components?: { id?: string; name: string }[]; clock?: () => number },
  ) {
    super();
    this.url = url;
    this.apiKey = options.apiKey;
    this.pageId = options.pageId ?? 'sbxpage00001';
    this.clock = options.clock ?? Date.now;
    const at = this.now();
    (options.components ?? [{ name: 'API' }, { name: 'Web app' }]).forEach((c, i) =>
      this.componentList.push({
        id: c.id ?? newId(),
        page_id: this.pageId,
        group_id: null,
        name: c.name,
        description: null,
        position: i + 1,
        status: 'operational',
        showcase: true,
        only_show_if_degraded: false,
        created_at: at,
        updated_at: at,
      }),
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res).catch(() => res.destroy()));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.server.closeAllConnections();
    });
  }

  // --- inspection ---

  /** The page's incidents and maintenances, newest first (copies). */
  incidents(): SpIncident[] {
    return structuredClone(this.incidentList);
  }

  components(): SpComponent[] {
    return structuredClone(this.componentList);
  }

  /** The page's incidents, maintenances and components, and whether it is down, for world-store.ts. */
  snapshot(): StatuspageSnapshot {
    return structuredClone({ incidents: this.incidentList, components: this.componentList, outage: this.outageOn });
  }

  restore(snapshot: StatuspageSnapshot): void {
    const copy = structuredClone(snapshot);
    this.incidentList.splice(0, this.incidentList.length, ...copy.incidents);
    this.componentList.splice(0, this.componentList.length, ...copy.components);
    this.outage(copy.outage);
  }

  /** The writes that changed the page (POST/PATCH processed), in order. */
  writes(): RecordedSpRequest[] {
    return this.requests.filter((r) => (r.method === 'POST' || r.method === 'PATCH') && (r.answered === 'lost' || r.answered < 300));
  }

  // --- faults ---

  /** The next `times` requests matching `path` (and `method`) answer `status` (with Retry-After seconds for a 429 or 503). */
  failNext(path: RegExp, status: number, times = 1, options: { method?: string; retryAfter?: number } = {}): void {
    this.faults.push({ path, status, remaining: times, ...options });
    this.emit('change');
  }

  /** The next `times` matching requests are carried out, and then their connection is cut: the caller never hears. */
  loseNextAnswer(path: RegExp, times = 1, method?: string): void {
    this.faults.push({ path, status: 'lost', remaining: times, ...(method ? { method } : {}) });
    this.emit('change');
  }

  /** While on, every request answers 503. */
  outage(on: boolean): void {
    this.outageOn = on;
    this.emit('change');
  }

  get down(): boolean {
    return this.outageOn;
  }

  // --- HTTP ---

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    let body: unknown;
    let badJson = false;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        badJson = true;
      }
    }
    const record: RecordedSpRequest = { method, path, query: Object.fromEntries(url.searchParams), body, answered: 0 };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.answered = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    if (this.outageOn) return send(503, { error: 'Service Unavailable' });
    const fault = this.faults.find((f) => f.remaining > 0 && f.path.test(path) && (!f.method || f.method === method));
    if (fault && fault.status !== 'lost') {
      fault.remaining -= 1;
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return send(fault.status, { error: fault.status === 429 ? 'Rate limit exceeded' : 'Internal Server Error' }, headers);
    }
    if (req.headers.authorization !== `OAuth ${this.apiKey}`) return send(401, { error: 'Could not authenticate' });
    let status: number;
    let answer: unknown;
    try {
      if (badJson) throw new Problem(400, 'The request body is not valid JSON');
      [status, answer] = this.route(method, path, url.searchParams, body);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      return send(error.status, { error: error.errors });
    }
    if (method !== 'GET') this.emit('change');
    if (fault?.status === 'lost') {
      // Done, but the answer never arrives.
      fault.remaining -= 1;
      record.answered = 'lost';
      this.emit('change');
      res.destroy();
      return;
    }
    send(status, answer);
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown): [number, unknown] {
    const match = /^\/v1\/pages\/([^/]+)\/(incidents|components)(?:\/([^/]+))?$/.exec(path);
    if (!match) throw new Problem(404, 'Not found');
    if (match[1] !== this.pageId) throw new Problem(404, 'Page not found');
    const [, , kind, id] = match;
    if (kind === 'components') {
      if (method === 'GET' && !id) return [200, this.components()];
      throw new Problem(405, 'Method not allowed');
    }
    if (method === 'GET' && (!id || id === 'unresolved' || id === 'scheduled' || id === 'upcoming' || id === 'active_maintenance')) return [200, this.list(id, query)];
    if (method === 'POST' && !id) return [201, this.create(body)];
    if (!id) throw new Problem(405, 'Method not allowed');
    const incident = this.incidentList.find((i) => i.id === id);
    if (!incident) throw new Problem(404, 'Incident not found');
    if (method === 'GET') return [200, structuredClone(incident)];
    if (method === 'PATCH' || method === 'PUT') return [200, this.update(incident, body)];
    if (method === 'DELETE') {
      this.incidentList.splice(this.incidentList.indexOf(incident), 1);
      return [200, structuredClone(incident)];
    }
    throw new Problem(405, 'Method not allowed');
  }

  private list(which: string | undefined, query: URLSearchParams): SpIncident[] {
    const q = query.get('q')?.toLowerCase();
    const limit = Math.min(Math.max(Number(query.get('limit') ?? 100) || 100, 1), 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const maintenance = (i: SpIncident) => i.scheduled_for !== null;
    const chosen = this.incidentList.filter((i) => {
      if (which === 'unresolved' && (maintenance(i) || i.status === 'resolved' || i.status === 'postmortem')) return false;
      if (which === 'scheduled' && (!maintenance(i) || i.status !== 'scheduled')) return false;
      if (which === 'upcoming' && (!maintenance(i) || i.status !== 'scheduled')) return false;
      if (which === 'active_maintenance' && (!maintenance(i) || (i.status !== 'in_progress' && i.status !== 'verifying'))) return false;
      if (q && !`${i.name} ${i.status} ${i.incident_updates.map((u) => u.body).join(' ')}`.toLowerCase().includes(q)) return false;
      return true;
    });
    return structuredClone(chosen.slice((page - 1) * limit, page * limit));
  }

  private create(body: unknown): SpIncident {
    const input = incidentOf(body);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    const problems: string[] = [];
    if (!name) problems.push("Name can't be blank");
    const scheduled = input.scheduled_for !== undefined || input.status === 'scheduled';
    const status = typeof input.status === 'string' ? input.status : scheduled ? 'scheduled' : 'investigating';
    const allowed: readonly string[] = scheduled ? MAINTENANCE : INCIDENT;
    if (!allowed.includes(status)) problems.push(`Status ${status} is not valid for ${scheduled ? 'a scheduled maintenance' : 'an incident'}`);
    let from: string | null = null;
    let until: string | null = null;
    if (scheduled) {
      from = isoOrNull(input.scheduled_for);
      until = isoOrNull(input.scheduled_until);
      if (!from) problems.push('Scheduled for must be an ISO 8601 time');
      if (!until) problems.push('Scheduled until must be an ISO 8601 time');
      if (from && until && Date.parse(until) <= Date.parse(from)) problems.push('Scheduled until must be after scheduled for');
    }
    const impact = input.impact_override;
    if (impact !== undefined && impact !== null && !(IMPACTS as readonly unknown[]).includes(impact)) problems.push(`Impact override ${String(impact)} is not valid`);
    const changes = this.componentChanges(input, problems);
    if (input.metadata !== undefined && (typeof input.metadata !== 'object' || input.metadata === null || Array.isArray(input.metadata))) problems.push('Metadata must be an object');
    if (problems.length > 0) throw new Problem(422, problems);
    const at = this.now();
    const id = newId();
    const incident: SpIncident = {
      id,
      page_id: this.pageId,
      name,
      status,
      impact: (impact as string | undefined) ?? (scheduled ? 'maintenance' : 'none'),
      impact_override: (impact as string | undefined) ?? null,
      created_at: at,
      updated_at: at,
      started_at: at,
      monitoring_at: null,
      resolved_at: null,
      scheduled_for: from,
      scheduled_until: until,
      scheduled_remind_prior: input.scheduled_remind_prior === true,
      scheduled_auto_in_progress: input.scheduled_auto_in_progress === true,
      scheduled_auto_completed: input.scheduled_auto_completed === true,
      metadata: (input.metadata as Record<string, unknown> | undefined) ?? {},
      shortlink: `https://stspg.io/${id.slice(0, 7)}`,
      components: [],
      incident_updates: [],
    };
    this.apply(incident, status, typeof input.body === 'string' ? input.body : '', changes, input.deliver_notifications !== false);
    this.incidentList.unshift(incident);
    return structuredClone(incident);
  }

  private update(incident: SpIncident, body: unknown): SpIncident {
    const input = incidentOf(body);
    const problems: string[] = [];
    const status = typeof input.status === 'string' ? input.status : incident.status;
    const allowed: readonly string[] = incident.scheduled_for !== null ? MAINTENANCE : [...INCIDENT, 'postmortem'];
    if (!allowed.includes(status)) problems.push(`Status ${status} is not valid for ${incident.scheduled_for !== null ? 'a scheduled maintenance' : 'an incident'}`);
    if (input.name !== undefined && (typeof input.name !== 'string' || !input.name.trim())) problems.push("Name can't be blank");
    const changes = this.componentChanges(input, problems);
    // A maintenance's window moves; an incident has none to move.
    const moving = input.scheduled_for !== undefined || input.scheduled_until !== undefined;
    const from = input.scheduled_for === undefined ? incident.scheduled_for : isoOrNull(input.scheduled_for);
    const until = input.scheduled_until === undefined ? incident.scheduled_until : isoOrNull(input.scheduled_until);
    if (moving && incident.scheduled_for === null) problems.push('Scheduled for can only be set on a scheduled maintenance');
    else if (moving) {
      if (!from) problems.push('Scheduled for must be an ISO 8601 time');
      if (!until) problems.push('Scheduled until must be an ISO 8601 time');
      if (from && until && Date.parse(until) <= Date.parse(from)) problems.push('Scheduled until must be after scheduled for');
    }
    if (problems.length > 0) throw new Problem(422, problems);
    if (moving) {
      incident.scheduled_for = from;
      incident.scheduled_until = until;
    }
    if (typeof input.name === 'string') incident.name = input.name.trim();
    if (input.metadata && typeof input.metadata === 'object') incident.metadata = input.metadata as Record<string, unknown>;
    const text = typeof input.body === 'string' ? input.body : '';
    if (status !== incident.status || text || changes.length > 0) this.apply(incident, status, text, changes, input.deliver_notifications !== false);
    return structuredClone(incident);
  }

  /** `components: {id: status}` (and `component_ids`), each id one of the page's. */
  private componentChanges(input: Record<string, unknown>, problems: string[]): { component: SpComponent; status: SpComponent['status'] }[] {
    const changes: { component: SpComponent; status: SpComponent['status'] }[] = [];
    const statuses = input.components;
    if (statuses !== undefined && (typeof statuses !== 'object' || statuses === null || Array.isArray(statuses))) {
      problems.push('Components must be an object of component id to status');
      return changes;
    }
    for (const [id, value] of Object.entries((statuses ?? {}) as Record<string, unknown>)) {
      const component = this.componentList.find((c) => c.id === id);
      if (!component) problems.push(`Component ${id} does not exist`);
      else if (!(COMPONENT as readonly unknown[]).includes(value)) problems.push(`Component status ${String(value)} is not valid`);
      else changes.push({ component, status: value as SpComponent['status'] });
    }
    const ids = input.component_ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => !this.componentList.some((c) => c.id === id)))) problems.push('Component ids must be ids of the page\'s components');
    return changes;
  }

  private apply(incident: SpIncident, status: string, body: string, changes: { component: SpComponent; status: SpComponent['status'] }[], notify: boolean): void {
    const at = this.now();
    const affected = changes.map(({ component, status: next }) => {
      const old = component.status;
      component.status = next;
      component.updated_at = at;
      return { code: component.id, name: component.name, old_status: old, new_status: next };
    });
    for (const { component } of changes) if (!incident.components.some((c) => c.id === component.id)) incident.components.push(component);
    incident.components = incident.components.map((c) => structuredClone(this.componentList.find((x) => x.id === c.id) ?? c));
    incident.status = status;
    incident.updated_at = at;
    if (status === 'monitoring' && !incident.monitoring_at) incident.monitoring_at = at;
    if ((status === 'resolved' || status === 'completed') && !incident.resolved_at) incident.resolved_at = at;
    incident.incident_updates.unshift({
      id: newId(),
      incident_id: incident.id,
      body,
      status,
      created_at: at,
      updated_at: at,
      display_at: at,
      deliver_notifications: notify,
      affected_components: affected.length > 0 ? affected : null,
    });
  }
}

function incidentOf(body: unknown): Record<string, unknown> {
  const incident = (body as { incident?: unknown } | undefined)?.incident;
  if (typeof incident !== 'object' || incident === null || Array.isArray(incident)) throw new Problem(400, 'param is missing or the value is empty: incident');
  return incident as Record<string, unknown>;
}

function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return null;
  return new Date(value).toISOString();
}

/** Statuspage's ids: 12 lowercase letters and digits. */
function newId(): string {
  return Array.from(randomBytes(12), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}
