import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability } from '../../src/integrations/datadog.js';
import { createStatuspage } from '../../src/integrations/status-page.js';

const DD_API = 'dd0api0key0abcdef0123456789abcdef';
const DD_APP = 'dd0app0key0abcdef0123456789abcdef01234567';
const PAGE_KEY = 'statuspage-key-0123456789';
const OTHER = 'configured-elsewhere-secret-42';

/**
 * Datadog and the status page, behind a proxy that answers every request with an error echoing its
 * credentials: the error tminus raises (what reaches Slack, the audit log and the database) holds none.
 */
describe('external error text from Datadog and the status page is scrubbed where it enters', () => {
  let echo: Server;
  let url: string;

  beforeAll(async () => {
    echo = createServer((req, res) => {
      const h = req.headers;
      const said = `denied: DD-API-KEY: ${h['dd-api-key']}, DD-APPLICATION-KEY: ${h['dd-application-key']}, Authorization: ${h.authorization}, raw ${h['dd-api-key']} ${OTHER}`;
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [said], error: said, message: said }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(() => echo?.close());

  const noSecrets = (text: string) => {
    for (const secret of [DD_API, DD_APP, PAGE_KEY, OTHER]) expect(text).not.toContain(secret);
  };

  it('Datadog', async () => {
    const dd = createObservability({ apiKey: DD_API, appKey: DD_APP, site: 'datadoghq.com', apiUrl: url, timeoutMs: 2_000, secrets: [OTHER] });
    const error = await dd.alertingMonitors().then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/Datadog answered 403/);
    noSecrets(`${error?.message} ${error?.stack}`);
  });

  it('the status page', async () => {
    const page = createStatuspage({ apiKey: PAGE_KEY, pageId: 'p1', apiUrl: url, timeoutMs: 2_000, secrets: [OTHER] });
    const error = await page.findByKey('some-key', 'Release v1.3.0').then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/Statuspage refused/);
    expect(error?.message).toContain('denied');
    noSecrets(`${error?.message} ${error?.stack}`);
  });
});
