import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { parseRollbackNowValue } from '../../src/messages/button-values.js';
import { OPEN_STATES } from '../../src/domain/release.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { RELEASES_CHANNEL, waitFor } from '../support/harness.js';
import { buttonsOf, click, clickStaleCopy, command, hasButton, type Button } from './slack-client.js';
import {
  APPROVERS,
  note,
  observe,
  ON_CALL,
  PEOPLE,
  REQUESTER,
  takeVersion,
  sleep,
  within,
  type Model,
  type Real,
} from './world-model.js';

/** What people do in Slack: starts (repeated, concurrent), approvals and rejections, rollbacks, aborts, stale clicks. */

type SlackCommand = fc.AsyncCommand<Model, Real>;

const STARTING = '🚀 Starting';

/** Production gate messages, oldest first. */
function productionGates(real: Real): StoredMessage[] {
  return real.world.slack.messages(RELEASES_CHANNEL).filter((m) => m.threadTs !== undefined && m.text.startsWith('Production deploy of'));
}

function openGate(real: Real): StoredMessage | undefined {
  return productionGates(real).filter((m) => hasButton(m, 'gate_approve')).at(-1);
}

/** `/release start` of the next version: once, redelivered by Slack (same trigger_id), or twice at once. */
export class StartRelease implements SlackCommand {
  constructor(
    readonly bump: 'patch' | 'minor',
    readonly mode: 'once' | 'redelivered' | 'concurrent-same' | 'concurrent-next',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, real: Real): Promise<void> {
    const version = takeVersion(m, this.bump);
    const start = (v: string, options: { triggerId?: string; retryNum?: number } = {}) => command(real, `start ${v}`, REQUESTER, options);
    if (this.mode === 'once') {
      await start(version);
      return;
    }
    let answers;
    if (this.mode === 'redelivered') {
      const triggerId = `${Date.now()}.model.${randomBytes(4).toString('hex')}`;
      answers = [await start(version, { triggerId }), await start(version, { triggerId, retryNum: 1 })];
    } else if (this.mode === 'concurrent-same') {
      answers = await Promise.all([start(version), start(version)]);
    } else {
      answers = await Promise.all([start(version), start(takeVersion(m, 'patch'))]);
    }
    if (answers.filter((a) => a.text.includes(STARTING)).length > 1) {
      real.violations.push(`(5) ${this.toString()}: both answers say the release is starting: ${answers.map((a) => a.text.split('\n')[0]).join(' | ')}`);
    }
  }
  toString(): string {
    return `StartRelease(${this.bump}, ${this.mode})`;
  }
}

/** The two approvers approve the open production gate in Slack: one after the other, at once, or with a double click. */
export class ApproveProductionInSlack implements SlackCommand {
  constructor(
    readonly mode: 'in-turn' | 'at-once' | 'double-click',
    readonly patienceMs: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const gate = await within(this.patienceMs, () => openGate(real));
    if (!gate) return void note(real, `${this.toString()}: no open production gate`);
    const [first, second] = APPROVERS;
    if (this.mode === 'in-turn') {
      await click(real, first, gate, 'gate_approve');
      await click(real, second, gate, 'gate_approve');
    } else if (this.mode === 'at-once') {
      await Promise.all([click(real, first, gate, 'gate_approve'), click(real, second, gate, 'gate_approve')]);
    } else {
      await Promise.all([click(real, first, gate, 'gate_approve'), click(real, first, gate, 'gate_approve')]);
      await click(real, second, gate, 'gate_approve');
    }
  }
  toString(): string {
    return `ApproveProductionInSlack(${this.mode}, within ${this.patienceMs} ms)`;
  }
}

/**
 * An approver rejects the open production gate in Slack: the Reject button, then the modal with a reason,
 * submitted at once or left open to be submitted later (SubmitRejection), whatever happened meanwhile.
 */
export class RejectProductionInSlack implements SlackCommand {
  constructor(
    readonly patienceMs: number,
    readonly submitLater: boolean,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const gate = await within(this.patienceMs, () => openGate(real));
    if (!gate) return void note(real, `${this.toString()}: no open production gate`);
    const rejecter = APPROVERS[1];
    const before = real.world.slack.views().length;
    await click(real, rejecter, gate, 'gate_reject');
    const modal = await waitFor('the rejection modal', () => real.world.slack.views().slice(before).find((v) => v.user === rejecter && v.view.callback_id === 'gate_reject_modal'), 3_000).catch(() => undefined);
    if (!modal) return void note(real, `${this.toString()}: no modal opened`);
    if (this.submitLater) return void note(real, `rejection modal ${modal.id} left open by ${rejecter}`);
    await submitRejection(real, modal.id, rejecter);
  }
  toString(): string {
    return `RejectProductionInSlack(within ${this.patienceMs} ms${this.submitLater ? ', submitted later' : ''})`;
  }
}

async function submitRejection(real: Real, viewId: string, userId: string): Promise<void> {
  const response = await real.world.slack.sendViewSubmission(real.bot.eventsUrl, {
    userId,
    viewId,
    values: { reason: { reason: { type: 'plain_text_input', value: 'not today (model)' } } },
  });
  real.answers.push({ what: `reject modal (${userId})`, status: response.status, text: JSON.stringify(response.body) });
  note(real, `reject modal ${viewId} submitted by ${userId} → ${response.status} ${JSON.stringify(response.body).slice(0, 160)}`);
}

/** The rejection modals left open are submitted now, however stale. */
export class SubmitRejection implements SlackCommand {
  constructor(readonly afterMs: number) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(_m: Model, real: Real): Promise<void> {
    await sleep(this.afterMs);
    const open = real.world.slack.views().filter((v) => v.view.callback_id === 'gate_reject_modal' && !v.closed && v.user !== undefined);
    if (open.length === 0) return void note(real, `${this.toString()}: no rejection modal open`);
    for (const modal of open) await submitRejection(real, modal.id, modal.user!);
  }
  toString(): string {
    return `SubmitRejection(after ${this.afterMs} ms)`;
  }
}

/** On-call asks for an emergency rollback: of the release production runs, or of any version started; sometimes twice at once. */
export class RollbackRelease implements SlackCommand {
  constructor(
    readonly target: 'latest-completed' | { started: number },
    readonly twice: boolean,
    readonly patienceMs: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(m: Model, real: Real): Promise<void> {
    let version: string | undefined;
    if (this.target === 'latest-completed') {
      version = await within(this.patienceMs, async () => (await observe(real)).releases.filter((r) => r.state === 'completed' || r.state === 'stable').at(-1)?.version);
    } else {
      version = m.started[this.target.started % m.started.length];
    }
    if (!version) return void note(real, `${this.toString()}: nothing completed`);
    const ask = () => {
      real.rollbackAsks.push({ version: version! });
      return command(real, `rollback ${version} model: checkout is broken`, ON_CALL);
    };
    await (this.twice ? Promise.all([ask(), ask()]) : ask());
  }
  toString(): string {
    return `RollbackRelease(${typeof this.target === 'string' ? `${this.target} within ${this.patienceMs} ms` : `started #${this.target.started}`}${this.twice ? ', twice at once' : ''})`;
  }
}

/** The requester ends a release by hand: the open one, or any version started; confirms when asked. */
export class AbortRelease implements SlackCommand {
  constructor(
    readonly target: 'open' | { started: number },
    readonly confirm: boolean,
    readonly afterMs: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(m: Model, real: Real): Promise<void> {
    await sleep(this.afterMs);
    let version: string | undefined;
    if (this.target === 'open') {
      const { releases } = await observe(real);
      version = releases.filter((r) => (OPEN_STATES as readonly string[]).includes(r.state)).at(-1)?.version;
    } else {
      version = m.started[this.target.started % m.started.length];
    }
    if (!version) return void note(real, `${this.toString()}: nothing open`);
    await abortByHand(real, version, 'model: giving up on it', this.confirm);
  }
  toString(): string {
    return `AbortRelease(${typeof this.target === 'string' ? this.target : `started #${this.target.started}`}${this.confirm ? ', confirms' : ''}, after ${this.afterMs} ms)`;
  }
}

/** `/release abort` as the requester; "Abort anyway" when tminus asks first (production was touched) and `confirm`. */
export async function abortByHand(real: Real, version: string, reason: string, confirm: boolean): Promise<void> {
  const before = real.world.slack.ephemerals(REQUESTER).length;
  await command(real, `abort ${version} ${reason}`, REQUESTER);
  const question = real.world.slack
    .ephemerals(REQUESTER)
    .slice(before)
    .find((e) => hasButton(e, 'abort_confirm'));
  if (question && confirm) await click(real, REQUESTER, question, 'abort_confirm', true);
}

const STALE_ACTIONS = ['gate_approve', 'rollback_now', 'abort_confirm'];

interface Clickable {
  message: { ts: string; threadTs?: string; ephemeral?: boolean; blocks: unknown[] };
  button: Button;
  /** The message still shows this button: the click goes through the stand-in. */
  current: boolean;
  /** Ephemerals are shown to one person only. */
  owner?: string;
}

/** Every button of every message ever posted (each version of it) and of every private answer, oldest first. */
function everyButton(real: Real): Clickable[] {
  const seen = new Set<string>();
  const found: Clickable[] = [];
  const add = (c: Clickable) => {
    const key = `${c.message.ts}|${c.button.actionId}|${c.button.value}`;
    if (!STALE_ACTIONS.includes(c.button.actionId) || seen.has(key)) return;
    seen.add(key);
    found.push(c);
  };
  for (const m of real.world.slack.messages(RELEASES_CHANNEL)) {
    const now = buttonsOf(m.blocks);
    for (const version of [...m.history, m]) {
      for (const button of buttonsOf(version.blocks)) {
        add({ message: { ts: m.ts, ...(m.threadTs ? { threadTs: m.threadTs } : {}), blocks: version.blocks }, button, current: now.some((b) => b.actionId === button.actionId && b.value === button.value) });
      }
    }
  }
  for (const e of real.world.slack.ephemerals()) {
    for (const button of buttonsOf(e.blocks)) add({ message: { ts: e.ts, ephemeral: true, blocks: e.blocks }, button, current: true, owner: e.user });
  }
  return found;
}

/** Someone clicks any button ever shown in #releases, however old: approvals, "Roll back now", "Abort anyway". */
export class ClickAnyButton implements SlackCommand {
  constructor(
    readonly pick: number,
    readonly user: (typeof PEOPLE)[number],
    readonly afterMs: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(_m: Model, real: Real): Promise<void> {
    await sleep(this.afterMs);
    const buttons = everyButton(real);
    const chosen = buttons[this.pick % Math.max(1, buttons.length)];
    if (!chosen) return void note(real, `${this.toString()}: no button anywhere`);
    const user = chosen.owner ?? this.user;
    if (chosen.button.actionId === 'rollback_now') {
      const ref = parseRollbackNowValue(chosen.button.value);
      if (ref) real.rollbackAsks.push({ releaseId: ref.releaseId });
    }
    if (chosen.current) await click(real, user, chosen.message, chosen.button.actionId, chosen.message.ephemeral === true);
    else await clickStaleCopy(real, user, chosen.message, chosen.button);
  }
  toString(): string {
    return `ClickAnyButton(#${this.pick}, ${this.user}, after ${this.afterMs} ms)`;
  }
}

/** How long a person takes to react: shrinks towards at once. */
export const patience = fc.integer({ min: 0, max: 8_000 });

export const slackCommands = {
  start: fc
    .tuple(fc.constantFrom('patch' as const, 'minor' as const), fc.constantFrom('once' as const, 'once' as const, 'redelivered' as const, 'concurrent-same' as const, 'concurrent-next' as const))
    .map(([b, mode]): SlackCommand => new StartRelease(b, mode)),
  approve: fc.tuple(fc.constantFrom('in-turn' as const, 'at-once' as const, 'double-click' as const), patience).map(([mode, p]): SlackCommand => new ApproveProductionInSlack(mode, p)),
  reject: fc.tuple(patience, fc.boolean()).map(([p, later]): SlackCommand => new RejectProductionInSlack(p, later)),
  submitRejection: fc.integer({ min: 0, max: 5_000 }).map((after): SlackCommand => new SubmitRejection(after)),
  rollback: fc
    .tuple(fc.oneof(fc.constant('latest-completed' as const), fc.record({ started: fc.nat(7) })), fc.boolean(), patience)
    .map(([target, twice, p]): SlackCommand => new RollbackRelease(target, twice, p)),
  abort: fc
    .tuple(fc.oneof(fc.constant('open' as const), fc.record({ started: fc.nat(7) })), fc.boolean(), fc.integer({ min: 0, max: 5_000 }))
    .map(([target, confirm, after]): SlackCommand => new AbortRelease(target, confirm, after)),
  click: fc.tuple(fc.nat(40), fc.constantFrom(...PEOPLE), fc.integer({ min: 0, max: 5_000 })).map(([pick, user, after]): SlackCommand => new ClickAnyButton(pick, user, after)),
};
