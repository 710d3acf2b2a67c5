import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { durationSchema, formatDuration, parseDuration } from '../../src/domain/duration.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90 * SECOND],
    ['15m', 15 * MINUTE],
    ['24h', 24 * HOUR],
    ['3d', 3 * DAY],
    ['2w', 14 * DAY],
    ['1h30m', 90 * MINUTE],
    ['1h 30m', 90 * MINUTE],
    ['1d12h', 36 * HOUR],
    ['1m30s', 90 * SECOND],
    ['2s500ms', 2500],
    ['0s', 0],
    ['0', 0],
    [' 5m ', 5 * MINUTE],
    ['1w 2d 3h 4m 5s 6ms', 7 * DAY + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5 * SECOND + 6],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', '15 minutes', '1.5h', '-5m', '30m1h', '1h1h', 'm', '5x', '1h30', 'soon', '15M'])('refuses %j, naming it', (text) => {
    expect(() => parseDuration(text)).toThrow(`${JSON.stringify(text)} is not a duration like 15m, 90s, 24h`);
  });
});

describe('formatDuration', () => {
  it.each([
    [90 * MINUTE, '1h 30m'],
    [45 * MINUTE, '45m'],
    [90 * SECOND, '1m 30s'],
    [0, '0s'],
    [DAY, '1d'],
    [-5 * MINUTE, '-5m'],
    // The two largest units, the smaller rounded: never milliseconds, never a bare count of seconds.
    [HOUR + 49 * MINUTE + 24 * SECOND + 390, '1h 49m'],
    [5345 * SECOND, '1h 29m'],
    [12 * MINUTE + 5 * SECOND + 400, '12m 5s'],
    [40 * SECOND + 600, '41s'],
    [9 * DAY + HOUR, '1w 2d'],
    [59 * MINUTE + 59 * SECOND + 600, '1h'],
    [500, '1s'],
    [1499.6, '1s'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1000, 61_000, 15 * MINUTE, 90 * MINUTE, 3 * DAY + 7 * HOUR, 2 * 7 * DAY])('round-trips the round value %i through parseDuration', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('refuses a value that is not a number of milliseconds', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});

describe('durationSchema', () => {
  it.each([
    ['15m', 15 * MINUTE],
    ['1h30m', 90 * MINUTE],
    [90_000, 90_000],
    [0, 0],
  ])('reads %j as %i ms', (input, ms) => {
    expect(durationSchema.parse(input)).toBe(ms);
  });

  it.each([
    ['15 minutes', '"15 minutes" is not a duration like 15m, 90s, 24h'],
    [true, 'true is not a duration like 15m, 90s, 24h'],
    [null, 'null is not a duration like 15m, 90s, 24h'],
    [-1, '-1 is not a whole, non-negative number of milliseconds'],
    [1.5, '1.5 is not a whole, non-negative number of milliseconds'],
  ])('refuses %j, naming the value', (input, message) => {
    const result = durationSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([message]);
  });

  it('reports the path of a bad duration inside an object', () => {
    const result = z.object({ every: durationSchema }).safeParse({ every: '5 mins' });
    expect(result.error?.issues).toMatchObject([{ path: ['every'], message: '"5 mins" is not a duration like 15m, 90s, 24h' }]);
  });
});
