import { describeTickers, monitoringByTminus, whyNotByTminus } from '../domain/pre-deployment-checks.js';
import type { Gate } from '../integrations/database/gate-store.js';
import type { Release } from '../integrations/database/release-store.js';
import { clockTime } from '../messages/format.js';
import type { PreDeploymentView } from '../messages/pre-deployment-checks.js';
import { gateChecks } from '../services/production-gate-met.js';
import type { JobContext } from './context.js';

/** The production gate's pre-deployment checks as its message shows them; undefined for a gate that holds none. */
export async function preDeploymentView(ctx: JobContext, gate: Gate, release: Release): Promise<PreDeploymentView | undefined> {
  const items = gateChecks(ctx.policy, gate, release);
  if (items.length === 0) return undefined;
  const records = await ctx.preDeployment.ofGate(gate.id);
  const byTminus = monitoringByTminus(ctx.policy, Boolean(ctx.observability));
  const cannot = whyNotByTminus(ctx.policy, Boolean(ctx.observability));
  return {
    releaseId: release.id,
    gateId: gate.id,
    timeZone: ctx.policy.timezone,
    items: items.map((item) => {
      const record = records.find((r) => r.item === item.key);
      const who = describeTickers(ctx.policy, item, release.type);
      if (record?.tickedBy && record.tickedAt) {
        const tick = { by: record.tickedBy, at: record.tickedAt, ...(record.evidence ? { evidence: record.evidence } : {}) };
        return { key: item.key, label: item.label, who, byTminus: false, tick };
      }
      if (item.auto !== 'monitors') return { key: item.key, label: item.label, who, byTminus: false };
      // tminus's own check: its last reading, or why a person ticks it instead.
      if (!byTminus) return { key: item.key, label: item.label, who, byTminus: false, note: cannot };
      const note = record?.reading ? `${record.evidence} (read at ${clockTime(record.readAt!, ctx.policy.timezone)})` : undefined;
      // Datadog could not be read: a person may tick it meanwhile.
      if (record?.reading === 'unreadable') return { key: item.key, label: item.label, who, byTminus: false, note: note! };
      return { key: item.key, label: item.label, who, byTminus: true, ...(note ? { note } : {}) };
    }),
  };
}
