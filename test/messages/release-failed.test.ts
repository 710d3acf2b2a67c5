import { describe, expect, it } from 'vitest';
import { abortedMessage } from '../../src/messages/abort.js';
import { releaseFailedMessage, type ReleaseFailedInput } from '../../src/messages/release-failed.js';
import type { SlackMessage } from '../../src/messages/types.js';

const input: ReleaseFailedInput = {
  releaseId: '00000000-0000-4000-8000-000000000001',
  version: 'v1.3.0',
  failedAt: new Date('2026-11-20T14:52:00Z'),
  reason: 'job ship failed',
  runUrl: 'https://github.com/acme/shop/actions/runs/1',
  productionTouched: 'unknown',
  productionEvidence: 'GitHub could not be asked for the deployments of abc1234 to `production`',
  previousVersion: 'v1.2.0',
  rollbackCommand: './scripts/rollback.sh v1.2.0',
  rollbackTimeLimitMinutes: 5,
  timeZone: 'UTC',
};

const sectionText = (message: SlackMessage): string => (message.blocks[0] as { text: { text: string } }).text.text;
const actionIds = (message: SlackMessage): string[] =>
  message.blocks.flatMap((b) => (b.type === 'actions' ? (b as { elements: { action_id: string }[] }).elements.map((e) => e.action_id) : []));

describe('the failure message when GitHub cannot say whether production was touched', () => {
  it('says so, with what it rests on, and offers the rollback (button, command and the manual one)', () => {
    const message = releaseFailedMessage(input);
    const lines = sectionText(message).split('\n');
    // The evidence is escaped as any text is (a backtick at its end is kept apart from what follows).
    expect(lines).toContain('🔎 GitHub could not be asked for the deployments of abc1234 to `production`\u200b.');
    expect(lines).toContain(
      '⚠️ *tminus could not tell whether production was touched.* Check what production runs; if it runs v1.3.0 (or half of it), ' +
        'roll back to v1.2.0 within 5m of detection (guide: Immediate Rollback): ' +
        'press *Roll back to v1.2.0* or `/release rollback v1.3.0 [what happened]`.',
    );
    expect(lines).toContain('```./scripts/rollback.sh v1.2.0```');
    expect(actionIds(message)).toEqual(['rollback_now']);
    expect(sectionText(message)).not.toContain('Production was not touched');
  });

  it('without a previous version: no button, a rollback by hand', () => {
    const message = releaseFailedMessage({ ...input, previousVersion: null });
    expect(sectionText(message)).toContain('roll back to the previous version by hand within 5m of detection');
    expect(actionIds(message)).toEqual([]);
  });

  it('the evidence is shown above the verdict when production was not touched, and no rollback', () => {
    const message = releaseFailedMessage({ ...input, productionTouched: false, productionEvidence: 'GitHub shows no deployment of abc1234 to `production`' });
    const lines = sectionText(message).split('\n');
    expect(lines.slice(-2)).toEqual([
      '🔎 GitHub shows no deployment of abc1234 to `production`\u200b.',
      'Production was not touched: v1.2.0 is still live. Fix the cause and start a new release.',
    ]);
    expect(actionIds(message)).toEqual([]);
  });
});

describe('the abort message when GitHub cannot say whether production was touched', () => {
  it('leaves the run alone and points to the rollback', () => {
    const deploy = { kind: 'production-unknown' as const, runUrl: null, previousVersion: 'v1.2.0' };
    const message = abortedMessage({ version: 'v1.3.0', by: 'U0ENG', reason: 'wrong build', deploy });
    expect(sectionText(message)).toContain('tminus could not tell whether production was touched, so the deploy run was left as it is');
    expect(sectionText(message)).toContain('`/release rollback v1.3.0` to go back to v1.2.0 if it runs v1.3.0');
  });
});
