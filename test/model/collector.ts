import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { visibleText } from '../support/harness.js';

/** Takes the answers tminus sends to the response_url of clicks made on stale copies of messages. */

export interface Collector {
  url(): string;
  bodies: { url: string; text: string }[];
  close(): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  const bodies: { url: string; text: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let text = Buffer.concat(chunks).toString('utf8');
      try {
        text = textOf(JSON.parse(text));
      } catch {
        // not JSON: kept as it came
      }
      bodies.push({ url: req.url ?? '', text });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let counter = 0;
  return {
    url: () => `http://127.0.0.1:${port}/stale/${++counter}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function textOf(body: unknown): string {
  const message = body as { text?: unknown; blocks?: unknown[] };
  return typeof message?.text === 'string' ? visibleText({ text: message.text, blocks: message.blocks ?? [] }) : JSON.stringify(body);
}
