/**
 * What tminus writes on the status page, for customers: plain text (the page is not Slack, nothing is
 * escaped for mrkdwn), the guide's customer wording, no mentions, metric names or tminus's own words.
 */
import type { AnnouncementView } from './checklist.js';
import { clockTime } from './format.js';
import { plainChange, WHAT_HAPPENED_FALLBACK } from './plain-words.js';
import { dateFormat } from '../domain/time-zone.js';
import type { HowVerified } from '../domain/verified-by.js';
import { verifiedByForCustomers } from './verified-by.js';

const utc = (at: Date) => clockTime(at, 'UTC');
const day = (at: Date) => dateFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(at);
const LISTED = 10;

function list(title: string, items: readonly string[] | undefined, clean = true): string | undefined {
  const lines = [...new Set((items ?? []).map((i) => (clean ? plainChange(i) : i.trim())).filter(Boolean))];
  if (lines.length === 0) return undefined;
  const shown = lines.slice(0, LISTED).map((l) => `- ${l.slice(0, 300)}`);
  if (lines.length > LISTED) shown.push(`- …and ${lines.length - LISTED} more`);
  return `${title}\n${shown.join('\n')}`;
}

/** The guide's subject line: "Scheduled Maintenance: [Date] v[Version] Release". */
export function maintenanceName(version: string, plannedAt: Date): string {
  return `Scheduled Maintenance: ${day(plannedAt)} ${version} Release`;
}

/** The maintenance of a release nobody announced (a hotfix, a release started by hand). */
export function unannouncedMaintenanceName(version: string): string {
  return `${version} Release`;
}

/** The pre-release announcement's customer wording, as the maintenance's first update. */
export function announcementBody(view: AnnouncementView): string {
  const parts = [
    `We are planning to release version ${view.version} on ${day(view.plannedAt)} at ${utc(view.plannedAt)}.`,
    list('Features included:', view.features),
    list('Improvements included:', view.improvements),
    list('Fixes included:', view.fixes),
    [...(view.expectedDowntime ? [`Expected downtime: ${view.expectedDowntime}`] : []), `Planned window: ${utc(view.plannedAt).replace(' UTC', '')} - ${utc(view.windowEnd)}`].join('\n'),
    list('How this affects you:', view.howThisAffectsYou, false),
    view.supportContact ? `Questions? Contact: ${view.supportContact}` : undefined,
  ];
  return parts.filter((p): p is string => Boolean(p)).join('\n\n');
}

/** A planned release moved: the maintenance's new window, said in its body so subscribers hear of it. */
export function movedBody(version: string, from: Date, to: Date, until: Date): string {
  return [
    `The release of version ${version} has moved from ${day(from)} at ${utc(from)} to ${day(to)} at ${utc(to)}.`,
    `New planned window: ${utc(to).replace(' UTC', '')} - ${utc(until)}`,
  ].join('\n');
}

/** A planned release cancelled: the maintenance closes saying nothing will happen in its window. */
export function cancelledBody(version: string, plannedAt: Date): string {
  return `The release of version ${version} planned for ${day(plannedAt)} at ${utc(plannedAt)} is cancelled: nothing will change for you then. We will announce a new date.`;
}

/** T-0: the release has started (the guide's "Release In Progress", for customers). */
export function inProgressBody(version: string, startedAt: Date, expectedAt: Date): string {
  return `The release of version ${version} is in progress.\nStarted: ${utc(startedAt)}\nExpected completion: ${utc(expectedAt)}`;
}

/** T+90: the guide's status page update, "✅ Released", and how it was verified, in the customers' words. */
export function releasedBody(version: string, completedAt: Date, supportContact?: string, verified?: HowVerified): string {
  const how = verified ? [verifiedByForCustomers(verified)] : [];
  const questions = supportContact ? [`Questions? ${supportContact}`] : [];
  return [`✅ Released: version ${version} is live since ${utc(completedAt)}.`, ...how, 'Thank you for your patience!', ...questions].join('\n');
}

/** A release that ended without going live: what the maintenance closes with, honestly. */
export function notReleasedBody(version: string, how: 'stopped' | 'aborted' | 'failed' | 'rolled_back', toVersion?: string | null): string {
  switch (how) {
    case 'stopped':
    case 'aborted':
      return `The release of version ${version} did not go ahead: it was stopped before it reached our production systems, so nothing changed for you. We will announce a new date.`;
    case 'rolled_back':
      return `The release of version ${version} was rolled back${toVersion ? ` to ${toVersion}` : ''}: see the incident notice for details.`;
    case 'failed':
      return `The release of version ${version} did not complete as planned. We are looking into it and will post an update here if it affects you.`;
  }
}

export function rollbackIncidentName(version: string, toVersion: string): string {
  return `Rolling back ${version} to ${toVersion}`;
}

/** The guide's Rollback Notice, for customers: "What happened" in plain words. */
export function rollbackBody(input: { version: string; toVersion: string; whatHappened?: string; startedAt: Date; expectedAt: Date; supportContact?: string }): string {
  return [
    `We've identified an issue with ${input.version} and are rolling back to ${input.toVersion}.`,
    `Time: ${utc(input.startedAt)}\nExpected completion: ${utc(input.expectedAt)}`,
    `What happened:\n${input.whatHappened?.trim() || WHAT_HAPPENED_FALLBACK}`,
    "What we're doing:\n- Rolling back to stable version\n- Investigating root cause\n- Preventing recurrence",
    ['Thank you for your patience.', ...(input.supportContact ? [input.supportContact] : [])].join('\n'),
  ].join('\n\n');
}

/** The rollback itself did not complete: the incident stays open, and says a person is restoring service. */
export function rollbackNotCompletedBody(version: string, toVersion: string): string {
  return `The rollback of ${version} to ${toVersion} did not complete automatically. Our engineers are restoring the service by hand now; we will post an update here as soon as it is working normally again.`;
}

export function rolledBackBody(toVersion: string, restoredAt: Date): string {
  return `✅ Rolled back to ${toVersion} at ${utc(restoredAt)}. The service is working normally again. Thank you for your patience.`;
}
