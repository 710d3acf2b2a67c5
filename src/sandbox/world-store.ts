import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SlackSnapshot } from './slack.js';
import type { GitHubSnapshot } from './github/snapshot.js';
import type { WebhooksSnapshot } from './github/webhooks.js';
import type { DatadogSnapshot } from './datadog/stand-in.js';
import type { MetricsSnapshot } from './metrics.js';
import type { StatuspageSnapshot } from './statuspage.js';

/**
 * The stand-ins' world, kept beside tminus's database (`<dataDir>/world.json`) so a restart finds the
 * channel, the repository and the clock where tminus left them. One versioned JSON file, written whole.
 */

export const WORLD_VERSION = 1;
export const WORLD_FILE = 'world.json';

export interface World {
  version: typeof WORLD_VERSION;
  /** The sandbox clock's virtual time when this was written: the next start resumes from it. */
  virtualNow: number;
  /** The stand-ins' ports, reused when free so links in old messages still open. */
  ports: { slack: number; github: number; datadog: number; statuspage: number };
  slack: SlackSnapshot;
  github: GitHubSnapshot;
  webhooks: WebhooksSnapshot;
  datadog: DatadogSnapshot;
  metrics: MetricsSnapshot;
  statuspage: StatuspageSnapshot;
}

export type KeptWorld = { kind: 'none' } | { kind: 'read'; world: World } | { kind: 'unreadable'; reason: string };

/** What the data directory holds: no world yet, a world, or a file this version cannot use (and why). */
export function readWorld(dataDir: string): KeptWorld {
  const file = join(dataDir, WORLD_FILE);
  if (!existsSync(file)) return { kind: 'none' };
  let parsed: unknown;
  try {
    parsed = decodeWorld(readFileSync(file, 'utf8'));
  } catch (error) {
    return { kind: 'unreadable', reason: `${file}: ${(error as Error).message}` };
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version !== WORLD_VERSION) return { kind: 'unreadable', reason: `${file} is version ${String(version)}, this sandbox reads version ${WORLD_VERSION}` };
  const world = parsed as World;
  const missing = (['slack', 'github', 'webhooks', 'datadog', 'metrics', 'statuspage'] as const).filter((k) => typeof world[k] !== 'object' || world[k] === null);
  if (missing.length > 0 || !Number.isFinite(world.virtualNow)) return { kind: 'unreadable', reason: `${file} lacks ${missing.join(', ') || 'virtualNow'}` };
  return { kind: 'read', world };
}

/** JSON with Maps, Sets and non-finite numbers kept (the stand-ins' models use all three). */
export function encodeWorld(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key, encoded: unknown) {
    // The value itself, before any toJSON() of its own.
    const item = key === '' ? encoded : this[key];
    if (item instanceof Map) return { $map: [...item.entries()] };
    if (item instanceof Set) return { $set: [...item.values()] };
    if (typeof item === 'number' && !Number.isFinite(item)) return { $number: String(item) };
    return encoded;
  });
}

export function decodeWorld(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const keys = Object.keys(item);
    if (keys.length !== 1) return item;
    const tagged = item as { $map?: [unknown, unknown][]; $set?: unknown[]; $number?: string };
    if (Array.isArray(tagged.$map)) return new Map(tagged.$map);
    if (Array.isArray(tagged.$set)) return new Set(tagged.$set);
    if (typeof tagged.$number === 'string') return Number(tagged.$number);
    return item;
  });
}

/** A deep copy through the file's encoding: what a snapshot becomes once written and read back. */
export function throughFile<T>(value: T): T {
  return decodeWorld(encodeWorld(value)) as T;
}

/**
 * Writes the world a short while after each change (changes come in bursts), every few seconds while the
 * clock runs, and once more at stop. Each write goes to a temporary file renamed over the old one, so a
 * crash mid-write leaves the previous world whole.
 */
export class WorldStore {
  private readonly file: string;
  private pending: NodeJS.Timeout | undefined;
  private readonly ticker: NodeJS.Timeout;
  private stopped = false;

  constructor(
    dataDir: string,
    private readonly take: () => World,
    private readonly log: Logger,
    private readonly settleMs = 300,
    everyMs = 5_000,
  ) {
    this.file = join(dataDir, WORLD_FILE);
    this.ticker = setInterval(() => this.write(), everyMs);
    this.ticker.unref();
  }

  /** Something in the world changed: write it soon. */
  changed(): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.write();
    }, this.settleMs);
    this.pending.unref();
  }

  /** The last write; nothing is written after it. */
  stop(): void {
    if (this.stopped) return;
    clearInterval(this.ticker);
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    this.write();
    this.stopped = true;
  }

  private write(): void {
    if (this.stopped) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, encodeWorld(this.take()));
      renameSync(temporary, this.file);
    } catch (error) {
      this.log.warn({ err: error, file: this.file }, "the sandbox's world could not be written");
    }
  }
}
