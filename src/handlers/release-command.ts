import type { App, RespondArguments, SlashCommand } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';
import { expectedCompletion, loadMilestones } from '../jobs/progress-view.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { clockTime, dateAndTime, escape } from '../messages/format.js';
import { scheduleMessage } from '../messages/schedule.js';
import { nextSlots } from '../domain/calendar.js';
import { planRelease } from '../services/plan-release.js';
import type { ReleasePlanStore } from '../integrations/database/release-plan-store.js';
import { helpMessage, noticeMessage } from '../messages/help.js';
import { releaseStatusMessage } from '../messages/release-status.js';
import { formatDuration } from '../domain/duration.js';
import { rollbackSummary } from '../messages/release-progress.js';
import type { ConfirmByHandReason } from '../messages/post-deploy-checks.js';
import { AWAITING_CONFIRMATION_EVENT } from '../domain/verified-by.js';
import type { SlackMessage } from '../messages/types.js';
import { findReleaseForStatus } from '../services/release-status.js';
import { startRelease } from '../services/start-release.js';
import { startHotfix } from '../services/start-hotfix.js';
import type { RoleDirectory } from '../services/roles.js';
import { auditLogMessage } from '../messages/audit-log.js';
import { rolesMessage } from '../messages/roles.js';
import { permissionsMessage } from '../messages/permissions.js';
import { describePermission } from '../domain/permissions.js';
import { PERMISSION_ACTIONS, ROLE_NAMES, SEVERITIES, type Policy } from '../domain/policy.js';
import { lookupIncident } from '../domain/decision-matrix.js';
import { incidentMessage } from '../messages/incident.js';
import { requestCoordinatedRollback } from '../services/coordinated-rollback.js';
import { rollbackByCommand } from '../services/rollback.js';
import type { GateStore } from '../integrations/database/gate-store.js';
import type { ProductionVersions } from '../integrations/database/production-history.js';
import { abortRelease } from '../services/abort-release.js';
import { confirmRelease } from '../services/confirm-release.js';
import { waiveReadiness } from '../services/waive-readiness.js';
import { freezeReleases, scheduleFreezes, unfreezeReleases } from '../services/freeze.js';
import type { FreezeStore } from '../integrations/database/freeze-store.js';
import { recordIncident } from '../services/incident.js';
import { cancelPlan, movePlan } from '../services/change-plan.js';
import { abortConfirmMessage } from '../messages/abort.js';
import { fromSlashCommand } from '../messages/text.js';
import { parseStatsWindow } from '../domain/dora.js';
import type { RateLimitRule } from '../domain/rate-limit.js';
import type { RateLimits } from '../integrations/database/rate-limits.js';

export interface ReleaseCommandDeps {
  store: ReleaseStore;
  gates: GateStore;
  /** Ad-hoc deploy freezes (`/release freeze`, `/release unfreeze`). */
  freezes: FreezeStore;
  /** Counted in Postgres, so replicas count a person's `/release stats` together. */
  rateLimits: RateLimits;
  plans: ReleasePlanStore;
  roles: RoleDirectory;
  jobs: ReleaseJobs;
  policy: Policy;
  releasesChannel: string;
  clock: () => Date;
  log: Logger;
  /** What production runs: the start, hotfix and plan services judge versions against it. */
  production: ProductionVersions;
  /** Where `/release status` reads its release (the cache in release-cache.ts); unset, the store. Nothing else reads it. */
  statusReads?: Pick<ReleaseStore, 'findByVersion' | 'inFlightOrLatest'>;
  /** How long the answer may take before the command is acked with "working on it" (Slack allows 3 s). */
  ackWithinMs?: number;
}

/** A link to a message that Slack resolves for any member of the workspace. */
export function threadUrl(channel: string, ts: string | null): string | null {
  return ts ? `https://slack.com/archives/${channel}/p${ts.replace('.', '')}` : null;
}

/** `/release <subcommand>`: parse, call a service, answer privately. Nothing slow runs here. */
export function registerReleaseCommand(app: App, deps: ReleaseCommandDeps): void {
  app.command('/release', async ({ command, ack, respond }) => {
    const answer = answerCommand(deps, command);
    // Cleared as soon as the answer is in: a timer left for its 2.5 s would outlive hundreds of acks in memory.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, deps.ackWithinMs ?? 2_500, 'late')));
    const first = await Promise.race([answer, deadline]);
    clearTimeout(timer);
    // `null`: the answer comes once, later, from a job (through response_url): the ack says nothing itself.
    if (first !== 'late') {
      await (first ? ack(ephemeral(first)) : ack());
      return;
    }
    await ack(ephemeral(noticeMessage('⏳ Working on it…')));
    const late = await answer;
    if (late) await respond(ephemeral(late));
  });
}

function ephemeral(message: SlackMessage): RespondArguments & { response_type: 'ephemeral' } {
  return { response_type: 'ephemeral', text: message.text, blocks: message.blocks };
}

async function answerCommand(deps: ReleaseCommandDeps, command: SlashCommand): Promise<SlackMessage | null> {
  // Slack sends the text entity-encoded, mentions and links escaped: decoded once here, escaped once on the way out.
  const [sub = '', ...args] = fromSlashCommand(command.text).trim().split(/\s+/).filter(Boolean);
  try {
    switch (sub.toLowerCase()) {
      case 'start':
        return await answerStart(deps, command, args);
      case 'status':
        return await answerStatus(deps, args[0]);
      case 'hotfix':
        return await answerHotfix(deps, command, args);
      case 'log':
        return await answerLog(deps, args[0]);
      case 'roles':
        return await answerRoles(deps);
      case 'rollback':
        return await answerRollback(deps, command, args);
      case 'abort':
        return await answerAbort(deps, command, args);
      case 'confirm':
        return await answerConfirm(deps, command, args);
      case 'waive':
        return await answerWaive(deps, command, args);
      case 'freeze':
        return await answerFreeze(deps, command, args);
      case 'unfreeze':
        return await answerUnfreeze(deps, command, args);
      case 'schedule':
        return await answerSchedule(deps);
      case 'plan':
        return await answerPlan(deps, command, args);
      case 'incident':
        return await answerIncident(deps, command, args);
      case 'stats':
        return await answerStats(deps, command, args);
      case 'help':
      case '':
        return helpMessage();
      default:
        return helpMessage(`I don't know \`/release ${escape(sub)}\`.`);
    }
  } catch (error) {
    deps.log.error({ err: error, text: command.text, user: command.user_id }, '/release failed');
    return noticeMessage('❌ Something went wrong on tminus’s side and nothing was changed. Try again in a minute; if it keeps failing, the operators will find the error in the logs.');
  }
}

/** `/release stats`: twice a minute per person at most (each asks Postgres for months of releases, and draws a chart). */
const STATS_PER_PERSON: RateLimitRule = { limit: 2, windowMs: 60_000 };

/**
 * `/release stats [30d|90d|12w]`: a job computes the figures and the chart and posts them; the command only acks.
 * In #releases they are posted for the channel, the chart in their thread; anywhere else only the asker sees them.
 */
async function answerStats(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage | null> {
  const choice = parseStatsWindow(args[0]);
  if (!choice.ok || args.length > 1) return noticeMessage(`${choice.ok ? 'Give one window at most' : escape(choice.reason)}. Usage: \`/release stats [30d|90d|12w]\` (default 30d).`);
  const now = deps.clock();
  const waitMs = await deps.rateLimits.take(`stats:${command.user_id}`, STATS_PER_PERSON, now);
  void deps.rateLimits.prune(new Date(now.getTime() - 86_400_000)).catch((err: unknown) => deps.log.warn({ err }, 'pruning rate limits'));
  if (waitMs > 0) return noticeMessage(`You asked for the DORA figures a moment ago: ask again in ${formatDuration(Math.ceil(waitMs / 1000) * 1000)}.`);
  const inReleases = command.channel_id === deps.releasesChannel;
  await deps.jobs.add('release-stats', {
    requestId: command.trigger_id,
    channel: command.channel_id,
    userId: command.user_id,
    responseUrl: command.response_url,
    window: choice.window,
    requestedAt: deps.clock().toISOString(),
    ...(inReleases ? {} : { privately: true }),
  });
  // Asked outside #releases, the job's private answer (the figures) is the only one: no "computing" notice before it.
  if (!inReleases) return null;
  return noticeMessage(`⏳ Computing the DORA figures of the last ${choice.window}: they will be posted in this channel, the chart in their thread.`);
}

/** `--override "reason"` (straight or curly quotes, or the rest of the line). */
export function parseOverride(text: string): { rest: string; override?: string } {
  const match = text.match(/\s--override(?:\s+(?:"([^"]*)"|“([^”]*)”|(.+)))?\s*$/);
  if (!match) return { rest: text };
  return { rest: text.slice(0, match.index).trim(), override: (match[1] ?? match[2] ?? match[3] ?? '').trim() };
}

async function answerStart(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const { rest, override } = parseOverride(args.join(' '));
  const words = rest.split(/\s+/).filter(Boolean);
  if (words.length !== 1) return noticeMessage('Usage: `/release start vX.Y.Z [--override "<reason>"]`, for example `/release start v1.3.0`.');
  const outcome = await startRelease(deps, { versionText: words[0]!, userId: command.user_id, requestId: command.trigger_id, override });
  switch (outcome.kind) {
    case 'refused':
      return noticeMessage(`🚫 ${outcome.reason}`);
    case 'repeat':
      return noticeMessage(`${outcome.release.version} was started by this command already; follow it in <#${outcome.release.channelId}>.`);
    case 'started':
      return noticeMessage(
        `🚀 Starting ${outcome.release.type} release ${outcome.release.version}` +
          `${outcome.release.previousVersion ? ` (after ${outcome.release.previousVersion})` : ''}. Follow it in <#${outcome.release.channelId}>.` +
          (outcome.queued ? '' : ' The job queue is slow to answer; the release is recorded and will go ahead within a minute.'),
      );
  }
}

async function answerHotfix(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const outcome = await startHotfix(deps, { text: args.join(' '), userId: command.user_id, requestId: command.trigger_id });
  switch (outcome.kind) {
    case 'refused':
      return noticeMessage(`🚫 ${outcome.reason}`);
    case 'repeat':
      return noticeMessage(`${outcome.release.version} was raised by this command already; follow it in <#${outcome.release.channelId}>.`);
    case 'started': {
      // Say which detection time the deadlines count from: the one given, or the command's own.
      const detectedAt = outcome.release.hotfix?.detectedAt ? new Date(outcome.release.hotfix.detectedAt) : outcome.release.requestedAt;
      const given = args.some((a) => a.startsWith('--detected'));
      const detected = `Detected at ${clockTime(detectedAt, deps.policy.timezone)}${given ? '' : ' (the time of this command: give `--detected HH:MM` if it was earlier)'}; its deadlines count from then.`;
      return noticeMessage(`🚨 Hotfix ${outcome.release.version} raised. ${detected} Once tested, it waits for the VP Eng's approval in <#${outcome.release.channelId}>, then deploys at once.`);
    }
  }
}

async function answerLog(deps: ReleaseCommandDeps, versionText: string | undefined): Promise<SlackMessage> {
  if (!versionText) return noticeMessage('Usage: `/release log vX.Y.Z`.');
  const found = await findReleaseForStatus(deps.store, versionText);
  if (!found.ok) return noticeMessage(found.reason);
  const events = await deps.store.events(found.release.id);
  return auditLogMessage(found.release.version, events, deps.policy.timezone);
}

async function answerRoles(deps: ReleaseCommandDeps): Promise<SlackMessage> {
  const holdings = await Promise.all(
    ROLE_NAMES.map(async (role) => ({ role, users: deps.policy.roles[role].users, groups: deps.policy.roles[role].groups, members: await deps.roles.holders(role) })),
  );
  const roles = rolesMessage(holdings);
  const permissions = permissionsMessage(PERMISSION_ACTIONS.map((action) => ({ action, who: describePermission(deps.policy, action) })));
  return { text: `${roles.text}\n${permissions.text}`, blocks: [...roles.blocks, ...permissions.blocks] };
}

async function answerRollback(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [versionText, ...rest] = args;
  const usage = 'Usage: `/release rollback vX.Y.Z [--detected HH:MM] [what happened, in plain words]` (emergency) or `/release rollback vX.Y.Z --coordinated [reason]`.';
  if (!versionText) return noticeMessage(usage);
  const coordinated = rest.includes('--coordinated');
  const detectedAt = rest.indexOf('--detected');
  if (detectedAt >= 0 && (coordinated || !rest[detectedAt + 1])) return noticeMessage(`🚫 ${coordinated ? 'A coordinated rollback has no detection time.' : 'Say when the problem was detected after --detected.'} ${usage}`);
  const detected = detectedAt >= 0 ? rest[detectedAt + 1] : undefined;
  const words = rest.filter((w, i) => w !== '--coordinated' && (detectedAt < 0 || (i !== detectedAt && i !== detectedAt + 1)));
  if (coordinated) {
    const reason = words.join(' ').trim() || 'coordinated rollback';
    const outcome = await requestCoordinatedRollback(deps, { versionText, by: command.user_id, reason });
    return noticeMessage(outcome.kind === 'refused' ? `🚫 ${outcome.reason}` : `The coordinated rollback of ${outcome.release.version} waits for the VP Eng's approval in its thread.`);
  }
  const outcome = await rollbackByCommand(deps, { versionText, by: command.user_id, reason: words.join(' '), ...(detected ? { detected } : {}) });
  return noticeMessage(outcome.kind === 'refused' ? `🚫 ${outcome.reason}` : `⚠️ Rolling ${outcome.release.version} back to ${outcome.release.previousVersion}. Follow it in <#${outcome.release.channelId}>.`);
}

async function answerAbort(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [versionText, ...reasonWords] = args;
  if (!versionText) return noticeMessage('Usage: `/release abort vX.Y.Z <reason>`, for example `/release abort v1.3.0 the production gate will not be answered today`.');
  const outcome = await abortRelease(deps, { versionText, by: command.user_id, reason: reasonWords.join(' '), confirmed: false });
  switch (outcome.kind) {
    case 'refused':
      return noticeMessage(`🚫 ${outcome.reason}`);
    case 'confirm':
      return abortConfirmMessage({ releaseId: outcome.release.id, version: outcome.release.version, previousVersion: outcome.release.previousVersion, reason: reasonWords.join(' ') });
    case 'aborted':
      return noticeMessage(`⏹️ ${outcome.release.version} is aborted: its gates are closed and its updates stopped. A new release can start. Follow it in <#${outcome.release.channelId}>.`);
  }
}

async function answerConfirm(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [versionText, ...checked] = args;
  const outcome = await confirmRelease(deps, { versionText, by: command.user_id, checked: checked.join(' ') });
  if (outcome.kind === 'refused') return noticeMessage(`🚫 ${outcome.reason}`);
  return noticeMessage(`✅ You confirmed the post-deploy checks of ${outcome.release.version}: it is complete. Follow it in <#${outcome.release.channelId}>.`);
}

async function answerWaive(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [versionText, line, ...reason] = args;
  const outcome = await waiveReadiness(deps, { versionText, line, by: command.user_id, reason: reason.join(' ') });
  if (outcome.kind === 'refused') return noticeMessage(`🚫 ${outcome.reason}`);
  return noticeMessage(`✅ You waived the ${outcome.line} of ${outcome.release.version} at its readiness gate. Follow it in <#${outcome.release.channelId}>.`);
}

async function answerFreeze(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const outcome = await freezeReleases(deps, { by: command.user_id, text: args.join(' ') });
  if (outcome.kind === 'refused') return noticeMessage(`🚫 ${outcome.reason}`);
  const ends = outcome.freeze.until;
  const until = ends ? `until ${dateAndTime(ends, deps.policy.timezone)} (or \`/release unfreeze\`)` : 'until `/release unfreeze`';
  const held = outcome.held.length > 0 ? ` Held at the readiness gate now: ${outcome.held.map((r) => r.version).join(', ')}.` : '';
  return noticeMessage(`🧊 You froze releases ${until}: ${escape(outcome.freeze.reason)}. Every release but a hotfix waits at its readiness gate.${held}`);
}

async function answerUnfreeze(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const outcome = await unfreezeReleases(deps, { by: command.user_id, reason: args.join(' ') });
  if (outcome.kind === 'refused') return noticeMessage(`🚫 ${outcome.reason}`);
  const ended = outcome.ended.map((f) => escape(f.reason)).join('; ');
  const judged = outcome.released.length > 0 ? ` Judged again now: ${outcome.released.map((r) => r.version).join(', ')}.` : '';
  return noticeMessage(`✅ You ended the freeze (${ended}).${judged}`);
}

async function answerIncident(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [severity = '', ...issueWords] = args;
  if (!SEVERITIES.includes(severity.toLowerCase() as (typeof SEVERITIES)[number]) || issueWords.length === 0) {
    return noticeMessage(`Usage: \`/release incident <${SEVERITIES.join('|')}> <what happened>\`, for example \`/release incident high checkout broken\`.`);
  }
  const issue = issueWords.join(' ');
  const recordedOn = await recordIncident(deps, { by: command.user_id, severity: severity.toLowerCase(), issue });
  return incidentMessage(severity.toLowerCase(), issue, lookupIncident(deps.policy, severity, issue), recordedOn?.version);
}

async function answerPlan(deps: ReleaseCommandDeps, command: SlashCommand, args: string[]): Promise<SlackMessage> {
  const [first, ...rest] = args;
  if (first === 'cancel' || first === 'move') {
    const [versionText, ...words] = rest;
    let outcome;
    if (first === 'cancel') {
      outcome = await cancelPlan(deps, { versionText, by: command.user_id, reason: words.join(' ') });
    } else {
      const timed = /^\d{2}:\d{2}$/.test(words[1] ?? '');
      const whenText = words.slice(0, timed ? 2 : 1).join(' ');
      if (!whenText) return noticeMessage('Usage: `/release plan move vX.Y.Z YYYY-MM-DD [HH:MM] [reason]`.');
      outcome = await movePlan(deps, { versionText, by: command.user_id, whenText, reason: words.slice(timed ? 2 : 1).join(' ') });
    }
    return noticeMessage(outcome.kind === 'refused' ? `🚫 ${outcome.reason}` : outcome.said);
  }
  const [versionText, ...when] = args;
  if (!versionText) return noticeMessage('Usage: `/release plan vX.Y.Z [YYYY-MM-DD [HH:MM]]`, for example `/release plan v1.3.0 2026-12-10 14:00`.');
  const outcome = await planRelease(deps, { versionText, ...(when.length > 0 ? { whenText: when.join(' ') } : {}), userId: command.user_id, responseUrl: command.response_url });
  if (outcome.kind === 'refused') return noticeMessage(`🚫 ${outcome.reason}`);
  return noticeMessage(`🗓️ Planning ${outcome.plan.version}: reading what was merged since the last release. The release-plan card and the notes draft arrive in <#${outcome.plan.channelId}>.`);
}

async function answerSchedule(deps: ReleaseCommandDeps): Promise<SlackMessage> {
  const now = deps.clock();
  const slots = [...nextSlots(deps.policy, 'minor', now, 4), ...nextSlots(deps.policy, 'major', now, 2)].sort((a, b) => a.at.getTime() - b.at.getTime());
  const patch = deps.policy.releaseTypes.patch.cadence;
  const rules = [
    patch.kind === 'asNeeded' ? `Patches: as needed, at most ${patch.maxPerWeek} a week.` : '',
    'Hotfixes: on demand (`/release hotfix`).',
    deps.policy.planning.enforceCadence ? 'Off-cadence starts need an approver\'s `--override "<reason>"`.' : 'The cadence is not enforced (`planning.enforceCadence: false`).',
  ].filter(Boolean);
  return scheduleMessage({ slots, plans: await deps.store.upcomingPlans(), rules, timeZone: deps.policy.timezone, freezes: await scheduleFreezes(deps) });
}

/**
 * `/release status` answers, drawn once per release row and minute: the status cache hands out the same row
 * object until the row changes, and the answer otherwise changes only with its T+N minute. A burst of
 * `/release status` on release day draws one answer, not one per request.
 */
const statusDrawn = new WeakMap<Release, { policy: ReleaseCommandDeps['policy']; minute: number; message: SlackMessage }>();

async function answerStatus(deps: ReleaseCommandDeps, versionText: string | undefined): Promise<SlackMessage> {
  const found = await findReleaseForStatus(deps.statusReads ?? deps.store, versionText);
  if (!found.ok) return noticeMessage(found.reason);
  const release = found.release;
  const now = deps.clock();
  const minute = release.finishedAt ? -1 : Math.floor((now.getTime() - release.startedAt.getTime()) / 60_000);
  const drawn = statusDrawn.get(release);
  if (drawn && drawn.policy === deps.policy && drawn.minute === minute) return drawn.message;
  const waiting = release.state === 'verifying' ? await deps.store.lastEvent(release.id, AWAITING_CONFIRMATION_EVENT) : undefined;
  const confirmers = describePermission(deps.policy, 'confirm');
  const message = releaseStatusMessage({
    ...(waiting ? { awaitingConfirmation: { reason: waiting.details.reason as ConfirmByHandReason, confirmers } } : {}),
    version: release.version,
    type: release.type,
    state: release.state,
    requestedBy: release.requestedBy,
    startedAt: release.startedAt,
    finishedAt: release.finishedAt,
    expectedCompletion: expectedCompletion(release, deps),
    runUrl: release.deployRunUrl,
    releaseUrl: release.releaseUrl,
    failureReason: release.failureReason,
    threadUrl: threadUrl(release.channelId, release.threadTs),
    milestones: loadMilestones(release, deps),
    ...(release.rollback ? { rollback: rollbackSummary(release.rollback) } : {}),
    now,
    timeZone: deps.policy.timezone,
  });
  statusDrawn.set(release, { policy: deps.policy, minute, message });
  return message;
}
