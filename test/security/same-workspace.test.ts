import { describe, expect, it } from 'vitest';
import { isHome } from '../../src/handlers/same-workspace.js';

/** Which signed requests are the app's own: its workspace, or its Enterprise Grid org when installed org-wide. */
describe('isHome', () => {
  const workspace = { teamId: 'T0HOME', enterpriseInstall: false };
  const inGrid = { teamId: 'T0HOME', enterpriseId: 'E0ORG', enterpriseInstall: false };
  const orgWide = { enterpriseId: 'E0ORG', enterpriseInstall: true };
  it.each([
    ['its own workspace', workspace, 'T0HOME', undefined, true],
    ['another workspace', workspace, 'T0OTHER', undefined, false],
    ['no team at all', workspace, undefined, undefined, false],
    ['its workspace in its grid', inGrid, 'T0HOME', 'E0ORG', true],
    ['its team id under another grid', inGrid, 'T0HOME', 'E0ELSE', false],
    ['org-wide: any workspace of its org', orgWide, 'T0ANY', 'E0ORG', true],
    ['org-wide: another org', orgWide, 'T0ANY', 'E0ELSE', false],
    ['org-wide: no enterprise named', orgWide, 'T0ANY', undefined, false],
  ] as const)('%s', (_what, home, teamId, enterpriseId, expected) => {
    expect(isHome(home, teamId, enterpriseId)).toBe(expected);
  });
});
