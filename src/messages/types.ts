import type { KnownBlock } from '@slack/web-api';

/** A message as tminus builds it: the blocks people see and the text notifications and screen readers use. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}
