import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in's HTTP server on 127.0.0.1 (port 0: a free one), listening, with its base URL. */
export async function listenLocally(port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
