import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Octokit } from 'octokit';
import { afterAll, describe, expect, it } from 'vitest';
import { scrubberOf } from '../../src/domain/external-text.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { translateGitHubError } from '../../src/integrations/github-errors.js';
import { createReleaseRepository, GitHubRefusedError, GitHubUnavailableError } from '../../src/integrations/github.js';
import { closedPort } from '../support/process.js';

/** Takes connections and never answers: a service that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers every request with HTTP 500, as GitHub does on a bad day. */
async function failingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Server Error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const scrub = scrubberOf(['ghs_secret_token']);
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function repository(apiUrl: string, timeoutMs?: number) {
  return createReleaseRepository({ token: 'ghs_secret_token', apiUrl, owner: 'acme', repo: 'platform', throttle: false, ...(timeoutMs ? { timeoutMs } : {}) });
}

async function failureOf(call: Promise<unknown>): Promise<Error> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('the call succeeded');
  return error;
}

describe('a GitHub that cannot be reached is said to be unreachable, not to have answered 500', () => {
  it('connection refused: names the host and port, and is worth retrying', async () => {
    const port = await closedPort();
    const error = await failureOf(repository(`http://127.0.0.1:${port}`).listTags());
    expect(error).toBeInstanceOf(GitHubUnavailableError);
    expect(error.message).toBe(`tminus could not reach 127.0.0.1:${port} when it tried to list tags: connection refused`);
  });

  it('a host name that does not resolve (.invalid never does): getaddrinfo ENOTFOUND and the name', async () => {
    const error = await failureOf(repository('https://api.github.invalid').listTags());
    expect(error).toBeInstanceOf(GitHubUnavailableError);
    expect(error.message).toBe('tminus could not reach api.github.invalid when it tried to list tags: getaddrinfo ENOTFOUND api.github.invalid');
  });

  it('no answer within the timeout: said as a timeout', async () => {
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const error = await failureOf(repository(`http://127.0.0.1:${silent.port}`, 300).listTags());
    expect(error).toBeInstanceOf(GitHubUnavailableError);
    expect(error.message).toBe(`tminus could not reach 127.0.0.1:${silent.port} when it tried to list tags: no answer in time (timed out)`);
  });

  it("Octokit's own RequestError (status 500, no response) translates the same way", async () => {
    const port = await closedPort();
    const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${port}`, retry: { enabled: false }, throttle: { enabled: false } });
    const raw = await failureOf(octokit.rest.repos.get({ owner: 'acme', repo: 'platform' }));
    // What Octokit itself says: the reason the message used to read "GitHub answered 500".
    expect((raw as { status?: number }).status).toBe(500);
    const translated = translateGitHubError('read the repository', raw, scrub);
    expect(translated.message).toBe(`tminus could not reach 127.0.0.1:${port} when it tried to read the repository: connection refused`);
  });

  it('a real 500 from GitHub is still GitHub answering 500, and a 404 still a refusal', async () => {
    const server = await failingServer();
    cleanups.push(() => server.close());
    const error = await failureOf(repository(server.url).listTags());
    expect(error).toBeInstanceOf(GitHubUnavailableError);
    expect(error.message).toMatch(/^GitHub answered 500 when tminus tried to list tags: /);
    const octokit = new Octokit({ baseUrl: server.url, retry: { enabled: false }, throttle: { enabled: false } });
    const raw = await failureOf(octokit.rest.repos.get({ owner: 'acme', repo: 'platform' }));
    expect(translateGitHubError('read the repository', raw, scrub)).not.toBeInstanceOf(GitHubRefusedError);
  });
});

describe('a Datadog that cannot be reached is said to be unreachable, not to have "answered ECONNREFUSED"', () => {
  const datadog = (apiUrl: string) => createObservability({ apiKey: 'dd-api-key-x', appKey: 'dd-app-key-x', site: 'datadoghq.com', apiUrl, timeoutMs: 300 });

  it('connection refused', async () => {
    const port = await closedPort();
    const error = await failureOf(datadog(`http://127.0.0.1:${port}`).alertingMonitors());
    expect(error.message).toBe(`tminus could not reach 127.0.0.1:${port} when it tried to list monitors: connection refused`);
  });

  it('a host name that does not resolve', async () => {
    const error = await failureOf(datadog('https://api.datadoghq.invalid').alertingMonitors());
    expect(error.message).toBe('tminus could not reach api.datadoghq.invalid when it tried to list monitors: getaddrinfo ENOTFOUND api.datadoghq.invalid');
  });

  it('no answer within the timeout', async () => {
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const error = await failureOf(datadog(`http://127.0.0.1:${silent.port}`).alertingMonitors());
    expect(error.message).toBe(`tminus could not reach 127.0.0.1:${silent.port} when it tried to list monitors: no answer in time (timed out)`);
  });

  it('an answer with a status is still Datadog answering it', async () => {
    const server = await failingServer();
    cleanups.push(() => server.close());
    const error = await failureOf(datadog(server.url).alertingMonitors());
    expect(error.message).toMatch(/^Datadog answered 500 when tminus tried to list monitors: /);
  });
});
