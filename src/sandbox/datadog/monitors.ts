/** Monitors (`GET /api/v1/monitor`): scripted by the test, filtered and shaped as Datadog lists them. */
import { clampInt, type Answer, type Request } from './http.js';
import type { Org } from './org.js';
import { splitTags } from './queries.js';
import type { MonitorSpec } from './types.js';

export class Monitors {
  private list: MonitorSpec[] = [];

  constructor(private readonly org: Org) {}

  /** Replaces the organization's monitors. */
  set(monitors: MonitorSpec[]): void {
    this.list = monitors.map((m) => ({ ...m, tags: [...(m.tags ?? [])], groups: m.groups?.map((g) => ({ ...g })) }));
  }

  all(): MonitorSpec[] {
    return structuredClone(this.list);
  }

  query(request: Request): Answer {
    const scopeFilter = splitTags(request.query.get('tags') ?? '').map((t) => t.toLowerCase());
    const tagFilter = splitTags(request.query.get('monitor_tags') ?? '').map((t) => t.toLowerCase());
    const name = request.query.get('name')?.toLowerCase();
    const groupStates = request.query.get('group_states');
    const wanted = groupStates === null ? undefined : groupStates.split(',').map((s) => s.trim().toLowerCase());
    let monitors = this.list.filter((m) => {
      if (name !== undefined && !m.name.toLowerCase().includes(name)) return false;
      const scope = scopeOf(queryOf(m)).map((t) => t.toLowerCase());
      if (!scopeFilter.every((t) => scope.includes(t))) return false;
      const own = (m.tags ?? []).map((t) => t.toLowerCase());
      return tagFilter.every((t) => own.includes(t));
    });
    monitors.sort((a, b) => a.id - b.id);
    const page = request.query.get('page');
    if (page !== null) {
      const size = clampInt(request.query.get('page_size'), 100, 1, 1000);
      const index = clampInt(page, 0, 0, Number.MAX_SAFE_INTEGER);
      monitors = monitors.slice(index * size, (index + 1) * size);
    }
    const created = new Date(this.org.clock()).toISOString();
    return { status: 200, body: monitors.map((m) => this.monitorView(m, created, wanted)) };
  }

  private monitorView(m: MonitorSpec, created: string, wantedStates: string[] | undefined): Record<string, unknown> {
    const query = queryOf(m);
    const threshold = /([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(query);
    const view: Record<string, unknown> = {
      id: m.id,
      name: m.name,
      type: m.type ?? 'query alert',
      query,
      message: m.message ?? '',
      tags: [...(m.tags ?? [])],
      options: {
        notify_no_data: false,
        notify_audit: false,
        include_tags: true,
        require_full_window: false,
        new_host_delay: 300,
        silenced: {},
        ...(threshold === null ? {} : { thresholds: { critical: Number(threshold[2]) } }),
      },
      overall_state: m.overallState,
      overall_state_modified: created,
      multi: (m.groups?.length ?? 0) > 0 || /\bby\s*\{/.test(query),
      priority: null,
      restricted_roles: null,
      deleted: null,
      created,
      modified: created,
      creator: { email: 'release-bot@example.com', handle: 'release-bot@example.com', name: 'Release Bot' },
      org_id: 1,
    };
    if (wantedStates !== undefined) {
      const all = wantedStates.includes('all');
      const groups: Record<string, unknown> = {};
      for (const g of m.groups ?? []) {
        if (!all && !wantedStates.includes(g.status.toLowerCase())) continue;
        const triggered = g.status === 'Alert' || g.status === 'Warn';
        groups[g.name] = {
          name: g.name,
          status: g.status,
          last_triggered_ts: triggered ? Math.floor(this.org.clock() / 1000) : 0,
          last_nodata_ts: g.status === 'No Data' ? Math.floor(this.org.clock() / 1000) : 0,
          last_notified_ts: triggered ? Math.floor(this.org.clock() / 1000) : 0,
          last_resolved_ts: 0,
        };
      }
      view.state = { groups };
    }
    return view;
  }
}

function queryOf(monitor: MonitorSpec): string {
  if (monitor.query !== undefined) return monitor.query;
  const scope = (monitor.tags ?? []).filter((t) => t.includes(':'));
  return `avg(last_5m):avg:trace.web.request.errors{${scope.length === 0 ? '*' : scope.join(',')}} > 1`;
}

/** The tags in a monitor query's `{…}` filters (not its group-by clause). */
function scopeOf(query: string): string[] {
  const withoutGroups = query.replace(/\bby\s*\{[^}]*\}/g, '');
  return [...withoutGroups.matchAll(/\{([^}]*)\}/g)].flatMap((m) => (m[1] as string).split(/,|\s+AND\s+/i).map((t) => t.trim())).filter((t) => t !== '' && t !== '*');
}
