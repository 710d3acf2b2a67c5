/**
 * The hosted status page tminus keeps up to date through a release. `StatusPage` is what tminus needs of
 * one; `createStatuspage` is Atlassian Statuspage's REST API v1 behind it (another provider can follow).
 */
import { scrubberOf } from '../domain/external-text.js';

export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'verifying' | 'completed';
export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

/** An incident or a maintenance as the page holds it. */
export interface PageIncident {
  id: string;
  name: string;
  status: MaintenanceStatus | IncidentStatus | 'postmortem';
  /** tminus's own key for it (`metadata.tminus.key`), how a lost answer is found again. */
  key?: string;
  createdAt: string;
  scheduledFor?: string | null;
  scheduledUntil?: string | null;
  /** The last update's body. */
  lastUpdate?: string;
}

export interface NewIncident {
  /** tminus's key for this incident: the page keeps it, so a create whose answer was lost can be found. */
  key: string;
  name: string;
  status: MaintenanceStatus | IncidentStatus;
  body: string;
  /** A scheduled maintenance's window. */
  scheduled?: { from: Date; until: Date; remindPrior: boolean; autoInProgress: boolean; autoCompleted: boolean };
  impact?: 'none' | 'minor' | 'major' | 'critical' | 'maintenance';
  components?: Record<string, ComponentStatus>;
}

export interface IncidentChange {
  status: MaintenanceStatus | IncidentStatus;
  body: string;
  components?: Record<string, ComponentStatus>;
  /** A scheduled maintenance's new name and window (a moved plan). */
  name?: string;
  scheduled?: { from: Date; until: Date };
}

/** What tminus does with a status page. */
export interface StatusPage {
  /** Where people read it, for the thread's notes. */
  readonly label: string;
  /** After this long, a call whose answer was lost can no longer land: not found by then means never made. */
  readonly answerLostAfterMs: number;
  create(incident: NewIncident): Promise<PageIncident>;
  update(id: string, change: IncidentChange): Promise<PageIncident>;
  /** The incident, or undefined when the page has none by that id. */
  get(id: string): Promise<PageIncident | undefined>;
  /** The incident created under `key` (looked up among the page's incidents by `name`), if any. */
  findByKey(key: string, name: string): Promise<PageIncident | undefined>;
  /** The page's open incidents (not resolved, not a maintenance), newest first: `freezeWhile.statusPageIncident`. */
  unresolvedIncidents(): Promise<PageIncident[]>;
}

/** The page could not be reached or answered 5xx/429: the call may be tried again (`maybeProcessed`: it may have landed). */
export class StatusPageUnavailableError extends Error {
  override name = 'StatusPageUnavailableError';
  constructor(
    message: string,
    readonly maybeProcessed: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The page understood and said no (4xx): trying again will not help. */
export class StatusPageRefusedError extends Error {
  override name = 'StatusPageRefusedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface StatuspageOptions {
  apiKey: string;
  pageId: string;
  /** Default `https://api.statuspage.io/v1`. */
  apiUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Other configured credentials to scrub from the page's error text (its key always is). */
  secrets?: readonly string[];
}

/** Statuspage's incident as its API answers it (the fields tminus reads). */
interface WireIncident {
  id: string;
  name: string;
  status: PageIncident['status'];
  created_at: string;
  scheduled_for?: string | null;
  scheduled_until?: string | null;
  metadata?: { tminus?: { key?: string } } | null;
  incident_updates?: { body: string; created_at: string }[];
}

const toIncident = (w: WireIncident): PageIncident => ({
  id: w.id,
  name: w.name,
  status: w.status,
  createdAt: w.created_at,
  ...(w.metadata?.tminus?.key ? { key: w.metadata.tminus.key } : {}),
  scheduledFor: w.scheduled_for ?? null,
  scheduledUntil: w.scheduled_until ?? null,
  ...(w.incident_updates?.[0] ? { lastUpdate: w.incident_updates[0].body } : {}),
});

/** A 429 answered with a short Retry-After is waited out inside the call, at most this often. */
const RATE_LIMIT_WAITS = 2;
const LONGEST_WAIT_MS = 5_000;

/**
 * Atlassian Statuspage, REST API v1: `POST/PATCH/GET /pages/{page_id}/incidents…` with `Authorization: OAuth <key>`.
 * Scheduled maintenance is an incident with `status: scheduled` and its window; updates are PATCHes of the
 * incident with a new status, a body (the new incident update) and the components' statuses; a maintenance's
 * window moves by PATCHing `scheduled_for`/`scheduled_until`. Statuspage has no "cancelled" status: a
 * cancelled maintenance is completed with a note (a DELETE would drop it silently for subscribers told of it).
 */
export function createStatuspage(options: StatuspageOptions): StatusPage {
  const base = `${(options.apiUrl ?? 'https://api.statuspage.io/v1').replace(/\/+$/, '')}/pages/${encodeURIComponent(options.pageId)}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  // The page's answer (or a proxy's) goes on to Slack and the database: scrubbed where it enters.
  const scrub = scrubberOf([options.apiKey, ...(options.secrets ?? [])]);

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    for (let waits = 0; ; waits++) {
      let response: Response;
      try {
        response = await doFetch(`${base}${path}`, {
          method,
          headers: { authorization: `OAuth ${options.apiKey}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // Refused before anything was sent, or sent and the answer never came (timeout, reset): unknown.
        const code = (error as { cause?: { code?: string } }).cause?.code;
        const why = scrub(code ?? (error as Error).message, 300);
        throw new StatusPageUnavailableError(`Statuspage unreachable (${method} ${path}): ${why}`, method !== 'GET' && code !== 'ECONNREFUSED');
      }
      const text = await response.text().catch(() => '');
      if (response.ok) return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T };
      const retryAfterMs = retryAfter(response.headers.get('retry-after'));
      if (response.status === 429 && waits < RATE_LIMIT_WAITS && retryAfterMs !== undefined && retryAfterMs <= LONGEST_WAIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
        continue;
      }
      const why = scrub(errorText(text) ?? response.statusText, 500);
      if (response.status === 429 || response.status === 420) throw new StatusPageUnavailableError(`Statuspage rate limit (${method} ${path}): ${why}`, false, response.status, retryAfterMs);
      if (response.status >= 500) throw new StatusPageUnavailableError(`Statuspage answered ${response.status} (${method} ${path}): ${why}`, method !== 'GET', response.status, retryAfterMs);
      throw new StatusPageRefusedError(`Statuspage refused ${method} ${path} (${response.status}): ${why}`, response.status);
    }
  }

  return {
    label: 'Statuspage',
    answerLostAfterMs: timeoutMs + 5_000,
    async create(incident) {
      const { data } = await call<WireIncident>('POST', '/incidents', {
        incident: {
          name: incident.name,
          status: incident.status,
          body: incident.body,
          metadata: { tminus: { key: incident.key } },
          deliver_notifications: true,
          ...(incident.impact ? { impact_override: incident.impact } : {}),
          ...(incident.scheduled
            ? {
                scheduled_for: incident.scheduled.from.toISOString(),
                scheduled_until: incident.scheduled.until.toISOString(),
                scheduled_remind_prior: incident.scheduled.remindPrior,
                scheduled_auto_in_progress: incident.scheduled.autoInProgress,
                scheduled_auto_completed: incident.scheduled.autoCompleted,
              }
            : {}),
          ...componentFields(incident.components),
        },
      });
      return toIncident(data);
    },
    async update(id, change) {
      const { data } = await call<WireIncident>('PATCH', `/incidents/${encodeURIComponent(id)}`, {
        incident: {
          status: change.status,
          body: change.body,
          deliver_notifications: true,
          ...(change.name ? { name: change.name } : {}),
          ...(change.scheduled ? { scheduled_for: change.scheduled.from.toISOString(), scheduled_until: change.scheduled.until.toISOString() } : {}),
          ...componentFields(change.components),
        },
      });
      return toIncident(data);
    },
    async get(id) {
      try {
        return toIncident((await call<WireIncident>('GET', `/incidents/${encodeURIComponent(id)}`)).data);
      } catch (error) {
        if (error instanceof StatusPageRefusedError && error.status === 404) return undefined;
        throw error;
      }
    },
    async findByKey(key, name) {
      // `q` searches names and updates; the newest come first, and a lost create is among the newest.
      const { data } = await call<WireIncident[]>('GET', `/incidents?q=${encodeURIComponent(name)}&limit=100&page=1`);
      return data.map(toIncident).find((i) => i.key === key);
    },
    async unresolvedIncidents() {
      // Statuspage's own list of open incidents; scheduled maintenances are listed elsewhere.
      const { data } = await call<WireIncident[]>('GET', '/incidents/unresolved');
      return data.map(toIncident);
    },
  };
}

function componentFields(components: Record<string, string> | undefined) {
  if (!components || Object.keys(components).length === 0) return {};
  return { components, component_ids: Object.keys(components) };
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function errorText(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const value = body.error ?? body.message;
    return Array.isArray(value) ? value.join('; ') : typeof value === 'string' ? value : undefined;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
