import fc from 'fast-check';
import { command } from './slack-client.js';
import { note, ON_CALL, type Model, type Real } from './world-model.js';

/** The deploy freezes of the readiness gate, as people use them in Slack: a freeze, its end, a waiver for one release. */

type FreezeCommand = fc.AsyncCommand<Model, Real>;

/** On-call freezes deploys (`/release freeze`) until someone unfreezes them. */
export class FreezeInSlack implements FreezeCommand {
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const answer = await command(real, 'freeze model: payments incident', ON_CALL);
    note(real, `freeze: ${answer.status} ${answer.text.split('\n')[0]!.slice(0, 100)}`);
  }
  toString(): string {
    return 'FreezeInSlack';
  }
}

/** On-call ends the ad-hoc freezes (`/release unfreeze`); held releases go on. */
export class UnfreezeInSlack implements FreezeCommand {
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const answer = await command(real, 'unfreeze model: incident over', ON_CALL);
    note(real, `unfreeze: ${answer.status} ${answer.text.split('\n')[0]!.slice(0, 100)}`);
  }
  toString(): string {
    return 'UnfreezeInSlack';
  }
}

/** On-call waives the freeze for the `pick`-th newest version asked for (held or not: a refusal changes nothing). */
export class WaiveFreeze implements FreezeCommand {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.started.length > 0;
  }
  async run(m: Model, real: Real): Promise<void> {
    const version = m.started[Math.max(0, m.started.length - 1 - (this.pick % m.started.length))]!;
    const answer = await command(real, `waive ${version} freeze model: the fix must ship`, ON_CALL);
    note(real, `waive ${version}: ${answer.status} ${answer.text.split('\n')[0]!.slice(0, 100)}`);
  }
  toString(): string {
    return `WaiveFreeze(#${this.pick})`;
  }
}

export const freezeCommands = {
  freeze: fc.constant<FreezeCommand>(new FreezeInSlack()),
  unfreeze: fc.constant<FreezeCommand>(new UnfreezeInSlack()),
  waive: fc.nat(2).map((pick): FreezeCommand => new WaiveFreeze(pick)),
};
