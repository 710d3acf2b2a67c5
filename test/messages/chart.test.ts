import { describe, expect, it } from 'vitest';
import { doraBuckets, doraFigures } from '../../src/domain/dora.js';
import { doraChartSvg } from '../../src/integrations/chart.js';
import type { DoraSummary } from '../../src/services/dora.js';

const NONE = doraFigures([], { from: new Date(0), to: new Date(1) }, 1);

function summary(window: { from: Date; to: Date }, timeZone: string): DoraSummary {
  return {
    window: { ...window, bucket: 'week', timeZone },
    figures: NONE,
    bands: {},
    previous: NONE,
    trend: {},
    series: doraBuckets(window, 'week', timeZone).map((b) => ({ ...b, figures: NONE })),
  };
}

describe('the DORA chart', () => {
  it("labels each week by its Monday on the team's calendar, and says how many days a clipped week holds", async () => {
    // Thursday 1 October to Saturday 31 October 2026.
    const october = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-10-31T00:00:00Z') };
    const svg = await doraChartSvg(summary(october, 'UTC'), 'DORA figures, last 30d');
    for (const label of ['2026-10-01 (4 d)', '2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26 (5 d)']) expect(svg).toContain(`>${label}<`);

    // In Los Angeles the weeks start at Monday 00:00 there: 07:00 UTC.
    const la = await doraChartSvg(summary({ from: new Date('2026-10-05T07:00:00Z'), to: new Date('2026-10-19T07:00:00Z') }, 'America/Los_Angeles'), 'DORA');
    expect(la).toContain('>2026-10-05<');
    expect(la).toContain('>2026-10-12<');
    expect(la).not.toContain(' d)<');
  });
});
