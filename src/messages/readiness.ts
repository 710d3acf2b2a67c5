import type { KnownBlock } from '@slack/web-api';
import type { Readiness, ReadinessLine } from '../domain/readiness.js';
import { context, section } from './format.js';
import { fitMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

const MARK: Record<ReadinessLine['state'], string> = { holds: '✅', waiting: '⏳', failing: '⛔' };

/**
 * The readiness card in the release's thread: every line of the gate before T-0 with its evidence, redrawn as
 * they change. Ready, it says the tag follows; held, what would let it go on and the way out.
 */
export function readinessCard(input: { version: string; readiness: Readiness; recheck: string }): SlackMessage {
  const { version, readiness } = input;
  const title = readiness.ready ? `✅ *Ready for T-0: ${version} is being tagged.*` : `⏸️ *${version} is held before T-0:* it is tagged when every line holds.`;
  const lines = readiness.lines.map((l) => `${MARK[l.state]} ${l.text}`).join('\n');
  const blocks: KnownBlock[] = [section(title), section(lines)];
  if (!readiness.ready) {
    blocks.push(
      context(
        `Judged again every ${input.recheck} (at once on a tick or a waiver). ` +
          `\`/release waive ${version} <checklists|cadence|freeze> <reason>\` waives a line; \`/release abort ${version} <reason>\` ends it.`,
      ),
    );
  }
  const held = readiness.lines.filter((l) => l.state !== 'holds').map((l) => l.key);
  const text = readiness.ready ? `${version} is ready for T-0` : `${version} is held before T-0 (${held.join(', ')})`;
  return { text: fitMrkdwn(text, 300), blocks };
}

/** Said once per commit: CI on the commit that would be tagged is red. */
export function ciRedMessage(version: string, line: ReadinessLine): SlackMessage {
  const text = `⛔ ${version} will not be tagged: ${line.text}.`;
  return { text: fitMrkdwn(text, 300), blocks: [section(text)] };
}

/** The readiness gate cannot be met as configured: the release ends before anything is tagged. */
export function readinessRefusedReason(lines: ReadinessLine[]): string {
  return lines
    .filter((l) => l.state === 'failing')
    .map((l) => l.text)
    .join('; ');
}
