import { postKeys, type JobContext } from './context.js';
import { renderGate } from './gate-decision.js';
import { refreshProgressView } from './progress-view.js';

/** A gate's message redrawn as it stands: a pre-deployment check ticked (or untick undone), or tminus's reading changed. */
export async function refreshGate(ctx: JobContext, data: { gateId: string }): Promise<void> {
  const gate = await ctx.gates.find(data.gateId);
  if (!gate) return;
  await ctx.posts.refresh(postKeys.gate(gate.id), async () => renderGate(ctx, (await ctx.gates.find(gate.id))!, (await ctx.store.findById(gate.releaseId))!));
  const release = await ctx.store.findById(gate.releaseId);
  if (release) await refreshProgressView(ctx, release);
}
