import { describeGate, releaseGate } from '../domain/approvals.js';
import { mayDo, versionTooFar } from '../domain/permissions.js';
import { nextUnusedPatch } from '../domain/production.js';
import { parseDetectedAt } from '../domain/detected-at.js';
import { STATE_LABELS } from '../domain/release.js';
import { parseVersion } from '../domain/version.js';
import { parseHotfixFrom } from '../domain/hotfix-source.js';
import { productionOf } from '../integrations/database/production-history.js';
import type { Release } from '../integrations/database/release-store.js';
import { TAGS_SYNC_KEY } from '../jobs/sync-released-versions.js';
import { inFlightReason, type StartOutcome, type StartReleaseDeps } from './start-release.js';

export interface HotfixRequest {
  /** Everything after `/release hotfix`: `vX.Y.Z <what is broken> [--severity high] [--detected HH:MM|<ISO time>] [--from <branch|sha>]`. */
  text: string;
  userId: string;
  requestId?: string;
}

const USAGE =
  'Usage: `/release hotfix vX.Y.Z <what is broken> [--severity critical|high] [--detected HH:MM|<ISO time>] [--from <branch|sha>]`, ' +
  'for example `/release hotfix v1.2.4 checkout double-charges cards --detected 14:05`. Without `--from`, the hotfix ships `hotfix/vX.Y.Z` ' +
  "(or `release/vX.Y.Z`), which tminus cuts from production's tag when it does not exist.";
const SEVERITY_OPTION = /--severity(?:=|\s+)(\S+)/;
const DETECTED_OPTION = /--detected(?:=|\s+)(\S+)/;
const FROM_OPTION = /--from(?:=|\s+)(\S+)/;

/**
 * `/release hotfix`: the guide's emergency lane. The version must be a patch above what production runs;
 * it may start while a planned release waits for approval, never while a deployment is running. It waits
 * for the VP Eng's approval, then deploys at once through the same pipeline, skipping the cadence rules.
 */
export async function startHotfix(deps: StartReleaseDeps, request: HotfixRequest): Promise<StartOutcome> {
  const severityMatch = request.text.match(SEVERITY_OPTION);
  const severity = severityMatch?.[1] ?? 'critical';
  if (severity !== 'critical' && severity !== 'high') return { kind: 'refused', reason: `A hotfix's severity is critical or high, not "${severity}". ${USAGE}` };
  // The guide's timeline starts at "Issue detected": every step's deadline counts from it, not from the command.
  const detectedText = request.text.match(DETECTED_OPTION)?.[1];
  if (/--detected\s*$/.test(request.text)) return { kind: 'refused', reason: `Say when the issue was detected after --detected. ${USAGE}` };
  const now = deps.clock();
  const detected = detectedText === undefined ? { ok: true as const, at: now } : parseDetectedAt(detectedText, now, deps.policy.timezone);
  if (!detected.ok) return { kind: 'refused', reason: `${capital(detected.reason)}. ${USAGE}` };
  // What it ships: a branch or commit the person names, else its own branch cut from production's tag (src/jobs/hotfix-commit.ts).
  if (/--from\s*$/.test(request.text)) return { kind: 'refused', reason: `Say which branch or commit after --from. ${USAGE}` };
  const fromText = request.text.match(FROM_OPTION)?.[1];
  const from = fromText === undefined ? undefined : parseHotfixFrom(fromText);
  if (from && !from.ok) return { kind: 'refused', reason: `${capital(from.reason)}. ${USAGE}` };
  const [versionText, ...rest] = request.text.replace(SEVERITY_OPTION, '').replace(DETECTED_OPTION, '').replace(FROM_OPTION, '').trim().split(/\s+/);
  const issue = rest.join(' ').trim();
  if (!versionText || issue.length < 3) return { kind: 'refused', reason: USAGE };
  const parsed = parseVersion(versionText);
  if (!parsed.ok) return { kind: 'refused', reason: `${parsed.reason}. ${USAGE}` };
  const version = parsed.version;

  if (request.requestId) {
    const repeat = await deps.store.findByRequestId(request.requestId);
    if (repeat) return { kind: 'repeat', release: repeat };
  }
  const permitted = mayDo(deps.policy, 'hotfix', await deps.roles.rolesOf(request.userId), { userId: request.userId, subject: version.tag });
  if (!permitted.ok) return { kind: 'refused', reason: capital(permitted.reason) };
  if (await deps.store.findByVersion(version.tag)) return { kind: 'refused', reason: `${version.tag} was already used for a release. Use the next patch version.` };
  // One hotfix waits for the VP Eng at a time: each is a 🚨 post with reminders and escalations.
  const waiting = await waitingHotfix(deps);
  if (waiting) return { kind: 'refused', reason: waitingReason(waiting) };
  if (!(await deps.store.syncedAt(TAGS_SYNC_KEY))) {
    await deps.jobs.add('sync-released-versions', {});
    return { kind: 'refused', reason: "tminus has not read the repository's tags yet: run the command again in a minute." };
  }
  // The baseline is what production runs: a failed or rolled-back version is not.
  const history = productionOf(deps);
  const { production, known } = await history.versions();
  const tooFar = versionTooFar(version, production);
  if (tooFar) return { kind: 'refused', reason: tooFar };
  if (production && (version.major !== production.major || version.minor !== production.minor || version.patch <= production.patch || version.prerelease.length > 0)) {
    return {
      kind: 'refused',
      reason: `A hotfix is a patch above what production runs (${production.tag}): use ${nextUnusedPatch(production, known).tag}, not ${version.tag}.`,
    };
  }
  if (known.has(version.tag)) return { kind: 'refused', reason: `${version.tag} has already been released (the tag exists). Use the next patch version.` };
  const running = await deps.store.inFlight();
  if (running[0]) return { kind: 'refused', reason: `${inFlightReason(running[0])} A hotfix may start while a release waits for approval, never while another deployment is running.` };

  const gate = releaseGate(deps.policy, 'hotfix');
  if (gate.roles.length > 0 && !deps.roles.hasAnyone(gate.roles)) {
    return { kind: 'refused', reason: `A hotfix needs approval from ${describeGate(gate)}, but the release policy names nobody for ${gate.roles.map((r) => `\`roles.${r}\``).join(' or ')}.` };
  }
  const created = await deps.store.create(
    {
      version: version.tag,
      type: 'hotfix',
      previousVersion: production?.tag ?? null,
      requestedBy: request.userId,
      requestId: request.requestId ?? null,
      channelId: deps.releasesChannel,
      startedAt: now,
      hotfix: { issue, severity, steps: {}, detectedAt: detected.at.toISOString(), ...(from ? { from: from.from } : {}) },
    },
    gate.roles.length > 0 ? { rule: { roles: gate.roles, rule: gate.rule, approvers: gate.approvers } } : undefined,
  );
  if (!created.ok) {
    // Another hotfix was raised at the same moment (Postgres's unique index decided): the same answer as above.
    const raced = created.conflict === 'hotfix-waiting' ? await waitingHotfix(deps) : undefined;
    if (raced) return { kind: 'refused', reason: waitingReason(raced) };
    const other: Release | undefined = created.conflict === 'in-flight' ? (await deps.store.inFlight())[0] : await deps.store.findByVersion(version.tag);
    return { kind: 'refused', reason: other ? inFlightReason(other) : 'Another release started at the same moment: check `/release status`.' };
  }
  await deps.store.audit(created.release.id, 'hotfix.detected', { at: detected.at.toISOString(), given: detectedText ?? null }, request.userId);
  // The hotfix's CI is read until it passes (tested), and after the deploy its first verification (monitored).
  const queued = await Promise.all([deps.jobs.add('announce-release', { releaseId: created.release.id }), deps.jobs.add('hotfix-check', { releaseId: created.release.id, poll: 0 })]).then(
    () => true,
    () => false,
  );
  return { kind: 'started', release: created.release, queued };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function waitingHotfix(deps: Pick<StartReleaseDeps, 'store'>): Promise<Release | undefined> {
  return (await deps.store.open()).find((r) => r.type === 'hotfix' && r.state === 'awaiting_approval');
}

function waitingReason(waiting: Release): string {
  return `Hotfix ${waiting.version} (raised by <@${waiting.requestedBy}>) is still ${STATE_LABELS[waiting.state]}: one hotfix waits for approval at a time. Follow it with \`/release status ${waiting.version}\`, or \`/release abort ${waiting.version} <reason>\` if it is no longer needed.`;
}
