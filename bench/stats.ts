/** Figures for the bench's lines: percentiles of samples (ms), printed in columns. */

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summary(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(
    `${label.padEnd(44)} n=${String(samples.length).padStart(4)}  mean ${mean.toFixed(1).padStart(6)} ms  p50 ${percentile(sorted, 50).toFixed(1).padStart(6)}  p95 ${percentile(sorted, 95).toFixed(1).padStart(6)}  p99 ${percentile(sorted, 99).toFixed(1).padStart(6)}  max ${sorted.at(-1)!.toFixed(1).padStart(6)}`,
  );
}

/** `p50 / p99` of samples in ms, or the reason there are none. */
export function p50p99(samples: number[], digits = 1): string {
  if (samples.length === 0) return 'n/a (no samples)';
  return `${percentile(samples, 50).toFixed(digits)} / ${percentile(samples, 99).toFixed(digits)} ms`;
}

/** A table: a header row and rows of cells, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export function section(title: string): void {
  console.log(`\n== ${title} ==`);
}
