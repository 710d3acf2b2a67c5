/** The snapshot picture: a line chart drawn into an RGB buffer and encoded as PNG with node:zlib. */
import { deflateSync } from 'node:zlib';
import type { MetricPoint } from './types.js';

const PALETTE: [number, number, number][] = [
  [119, 74, 164],
  [61, 142, 211],
  [60, 170, 100],
  [235, 150, 40],
  [220, 60, 70],
  [30, 170, 170],
];

export function renderChart(width: number, height: number, fromMs: number, toMs: number, series: { points: MetricPoint[] }[]): Buffer {
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const at = (y * width + x) * 3;
    pixels[at] = r;
    pixels[at + 1] = g;
    pixels[at + 2] = b;
  };
  const left = 12;
  const right = width - 12;
  const top = 12;
  const bottom = height - 12;
  for (let i = 0; i <= 4; i++) {
    const y = Math.round(top + ((bottom - top) * i) / 4);
    for (let x = left; x <= right; x++) set(x, y, i === 4 ? [150, 150, 150] : [228, 228, 232]);
  }
  for (let y = top; y <= bottom; y++) set(left, y, [150, 150, 150]);

  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null);
  let min = values.length === 0 ? 0 : Math.min(...values);
  let max = values.length === 0 ? 1 : Math.max(...values);
  if (max === min) {
    min -= 1;
    max += 1;
  }
  const pad = (max - min) * 0.05;
  min -= pad;
  max += pad;
  const span = Math.max(1, toMs - fromMs);
  const xOf = (t: number): number => Math.round(left + ((t - fromMs) / span) * (right - left));
  const yOf = (v: number): number => Math.round(bottom - ((v - min) / (max - min)) * (bottom - top));

  series.forEach((s, index) => {
    const color = PALETTE[index % PALETTE.length] as [number, number, number];
    const thick = (x: number, y: number): void => {
      set(x, y, color);
      set(x, y + 1, color);
    };
    let previous: [number, number] | undefined;
    s.points.forEach(([t, v], i) => {
      if (v === null) {
        previous = undefined;
        return;
      }
      const point: [number, number] = [xOf(t), yOf(v)];
      if (previous !== undefined) line(previous, point, thick);
      const next = s.points[i + 1];
      const isolated = previous === undefined && (next === undefined || next[1] === null);
      if (isolated) for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) set(point[0] + dx, point[1] + dy, color);
      previous = point;
    });
  });
  return encodePng(width, height, pixels);
}

/** Bresenham's line from a to b. */
function line([x0, y0]: [number, number], [x1, y1]: [number, number], plot: (x: number, y: number) => void): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  let x = x0;
  let y = y0;
  for (;;) {
    plot(x, y);
    if (x === x1 && y === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

/** An 8-bit RGB PNG: signature, IHDR, one zlib IDAT of unfiltered scanlines, IEND. */
export function encodePng(width: number, height: number, rgb: Buffer): Buffer {
  const stride = width * 3;
  const scanlines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    scanlines[y * (stride + 1)] = 0;
    rgb.copy(scanlines, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
