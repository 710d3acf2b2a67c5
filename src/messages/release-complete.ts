import { clockTime, context, link, section } from './format.js';
import { slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface ReleaseCompleteInput {
  version: string;
  completedAt: Date;
  deploymentMinutes: number;
  releaseUrl: string;
  /** GitHub's generated release notes (markdown). */
  notes: string;
  timeZone: string;
  supportContact?: string;
}

/** The "What's changed" bullets of GitHub's generated notes, as Slack lines. */
export function changesFromNotes(notes: string, limit = 10): string[] {
  const lines = notes.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => /^##\s+What's Changed/i.test(line));
  const section = start >= 0 ? lines.slice(start + 1) : lines;
  const end = section.findIndex((line) => line.startsWith('## '));
  const bullets = (end >= 0 ? section.slice(0, end) : section).filter((line) => /^[*-] /.test(line)).map((line) => line.slice(2).trim());
  return bullets.slice(0, limit).map((line) => (line.length > 200 ? `${line.slice(0, 199)}…` : line));
}

/** The guide's "Release Complete" template, posted in the release's thread. */
export function releaseCompleteMessage(input: ReleaseCompleteInput): SlackMessage {
  const title = `✅ Release ${input.version} COMPLETED`;
  const changes = changesFromNotes(input.notes);
  const lines = [
    `*${title}*`,
    '',
    `⏱️ Release completed at ${clockTime(input.completedAt, input.timeZone)}`,
    `📦 Deployment time: ${input.deploymentMinutes} minute${input.deploymentMinutes === 1 ? '' : 's'}`,
    '',
    changes.length > 0 ? `*What's changed:*\n${changes.map((c) => `• ${slackMrkdwn(c, 250)}`).join('\n')}` : '_No changes listed in the release notes._',
  ];
  const footer = input.supportContact ? [`Thank you for your patience! Questions? ${input.supportContact}`] : ['Thank you for your patience!'];
  return { text: `${title} in ${input.deploymentMinutes} minutes`, blocks: [section(lines.join('\n')), section(`📝 ${link(input.releaseUrl, `Release notes for ${input.version}`)}`), context(...footer)] };
}
