/**
 * The floor for an ack: a Bolt app with tminus's receiver and signing secret whose /release only acks,
 * in a process of its own (as tminus runs in the ack bench). Prints `listening <port>` once it listens.
 */
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';

const app = new App({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '', token: process.env.SLACK_BOT_TOKEN ?? '', logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: process.env.SLACK_API_URL } });
app.command('/release', async ({ ack }) => {
  await ack();
});
const server = (await app.start(0)) as Server;
const address = server.address();
console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
