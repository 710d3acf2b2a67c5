import { describe, expect, it } from 'vitest';
import { scrubberOf } from '../../src/domain/external-text.js';

const scrub = scrubberOf(['s3cret-configured-value', 'dd0123456789abcdef0123456789abcd']);

describe('external text is scrubbed where it enters', () => {
  it.each([
    ['a configured value', 'proxy echoed s3cret-configured-value here', 's3cret-configured-value'],
    ['a configured value, URL-encoded', 'at /x?k=s3cret-configured-value', 's3cret-configured-value'],
    ['a GitHub PAT', 'bad credentials ghp_abcdefghijklmnopqrstuvwxyz0123', 'ghp_abcdefghijklmnopqrstuvwxyz0123'],
    ['a fine-grained PAT', 'token github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop'],
    ['an installation token', 'ghs_ABCDEFGHIJKLMNOPQRSTUV012345 expired', 'ghs_ABCDEFGHIJKLMNOPQRSTUV012345'],
    ['a Slack bot token', 'invalid_auth for xoxb-1234-5678-abcdef', 'xoxb-1234-5678-abcdef'],
    ['a Slack user token', 'xoxp-1-2-3-zzz', 'xoxp-1-2-3-zzz'],
    ['an Authorization header', 'request headers: Authorization: token abc123def456', 'abc123def456'],
    ['a Bearer token', 'sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.x', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
    ['a URL with a password', 'fetch https://user:hunter2pass@proxy.example/api failed', 'hunter2pass'],
    ['a URL with a token as user', 'clone https://abcdefghijklmnopqrstuvwxyz@github.com/o/r', 'abcdefghijklmnopqrstuvwxyz'],
    ['a Datadog key header', 'DD-API-KEY: 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f rejected', '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f'],
    ['a Datadog key parameter', 'GET /api/v1/query?api_key=abcd1234abcd1234&application_key=ffff0000ffff', 'abcd1234abcd1234'],
    ['a configured Datadog key', 'key dd0123456789abcdef0123456789abcd is invalid', 'dd0123456789abcdef0123456789abcd'],
  ])('%s', (_what, text, secret) => {
    const out = scrub(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
  });

  it('keeps the ordinary words, commit shas and run URLs', () => {
    const text = 'GitHub answered 422 when tminus tried to create tag v1.3.0: Reference already exists (sha 0123456789abcdef0123456789abcdef01234567, https://github.com/o/r/actions/runs/12)';
    expect(scrub(text)).toBe(text);
  });

  it('caps the length after scrubbing, so no cut-off credential is left', () => {
    const long = `${'x'.repeat(990)} ghp_abcdefghijklmnopqrstuvwxyz0123 ${'y'.repeat(500)}`;
    const out = scrub(long);
    expect(out.length).toBeLessThanOrEqual(1_000);
    expect(out).not.toContain('ghp_abcdef');
    expect(scrub('a'.repeat(50), 10)).toBe(`${'a'.repeat(9)}…`);
  });
});
