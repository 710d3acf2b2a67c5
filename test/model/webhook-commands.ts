import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import { note, WEBHOOK_SECRET, type Model, type Real } from './world-model.js';

/**
 * GitHub's webhooks as they misbehave, in worlds that have them: a delivery sent again (GitHub's "Redeliver"),
 * a captured signed body replayed under a new delivery id, a body altered under its old signature, and
 * deliveries that arrive late or never. In a world without webhooks they do nothing.
 */

type WebhookCommand = fc.AsyncCommand<Model, Real>;

export type Replay = 'redeliver' | 'new-id' | 'altered';

/** What tminus must answer each replay: the delivery was taken once already, or the signature does not match. */
const EXPECTED: Record<Replay, number> = { redeliver: 200, 'new-id': 200, altered: 401 };

/**
 * Someone replays the `pick`-th newest delivery tminus took. (13) A delivery is taken once: the same id or the
 * same signed body again is answered "already received", an altered body is refused; neither is acted on.
 */
export class ReplayWebhook implements WebhookCommand {
  constructor(
    readonly pick: number,
    readonly how: Replay,
  ) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    const hook = real.hook;
    const taken = hook?.deliveries.filter((d) => !d.redelivery && !d.dropped && d.status !== undefined && d.status < 300) ?? [];
    const original = taken[taken.length - 1 - (this.pick % Math.max(1, taken.length))];
    if (!hook || !original) return note(real, `${this}: no delivery to replay`);
    const status = this.how === 'redeliver' ? await hook.redeliver(original.id) : await this.resend(real, original.event, original.body);
    note(real, `${this} of ${original.event}${original.action ? `.${original.action}` : ''} ${original.id.slice(0, 8)}: ${status}`);
    if (status !== EXPECTED[this.how]) {
      real.violations.push(`(13) ${this.how} of delivery ${original.id} (${original.event}) was answered ${status}, not ${EXPECTED[this.how]}`);
    }
  }
  /** The captured body under a new delivery id: as captured, or altered with the signature of the original. */
  private async resend(real: Real, event: string, body: string): Promise<number> {
    const headers = GitHubWebhooks.headers(event, randomUUID(), body, WEBHOOK_SECRET);
    const sent = this.how === 'altered' ? body.replace('{', '{"replayed":true,') : body;
    const response = await fetch(`${real.bot.baseUrl}/github/webhook`, { method: 'POST', headers, body: sent });
    await response.arrayBuffer();
    return response.status;
  }
  toString(): string {
    return `ReplayWebhook(${this.how}, #${this.pick})`;
  }
}

/** The next `count` deliveries never arrive (GitHub never retries them). */
export class DropWebhooks implements WebhookCommand {
  constructor(readonly count: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    if (!real.hook) return note(real, `${this}: no webhooks in this world`);
    real.hook.dropWebhooks(this.count);
    note(real, `the next ${this.count} webhook deliveries are lost`);
  }
  toString(): string {
    return `DropWebhooks(${this.count})`;
  }
}

/** Every delivery from now on arrives `ms` late (until tminus restarts, which makes a new hook). */
export class DelayWebhooks implements WebhookCommand {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, real: Real): Promise<void> {
    if (!real.hook) return note(real, `${this}: no webhooks in this world`);
    real.hook.delayWebhooks(this.ms);
    note(real, `webhook deliveries arrive ${this.ms} ms late`);
  }
  toString(): string {
    return `DelayWebhooks(${this.ms} ms)`;
  }
}

export const webhookCommands = {
  replay: fc.tuple(fc.nat(6), fc.constantFrom<Replay>('redeliver', 'new-id', 'new-id', 'altered')).map(([pick, how]): WebhookCommand => new ReplayWebhook(pick, how)),
  drop: fc.integer({ min: 1, max: 6 }).map((count): WebhookCommand => new DropWebhooks(count)),
  delay: fc.integer({ min: 200, max: 4_000 }).map((ms): WebhookCommand => new DelayWebhooks(ms)),
};
