import type { Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';

/** The release's approvers and the on-call engineers: who an alert mentions. */
export async function alertMentions(ctx: JobContext, release: Release): Promise<string[]> {
  const approvers: string[] = [];
  for (const kind of ['release', 'production'] as const) {
    const gate = await ctx.gates.ofRelease(release.id, kind);
    if (gate) approvers.push(...(await ctx.gates.decisions(gate.id)).filter((d) => d.decision === 'approved').map((d) => d.userId));
  }
  return [...new Set([...(await ctx.roles.holders('onCall')), ...approvers])];
}
