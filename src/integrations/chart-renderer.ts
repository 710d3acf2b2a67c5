import { Worker } from 'node:worker_threads';
import type { DoraSummary } from '../services/dora.js';

/** Draws the DORA chart as a PNG (`/release stats`). */
export interface ChartRenderer {
  png(summary: DoraSummary, title: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** chart.ts beside this file, as it is run: TypeScript through tsx, or compiled JavaScript. */
const CHART_MODULE = new URL(`./chart${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

/**
 * The thread's script (CommonJS, evaluated): tsx's loader when chart.ts is TypeScript, then one render at a
 * time, answered by id.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
(async () => {
  if (workerData.module.endsWith('.ts')) {
    // tsx's ESM API (its CommonJS build cannot register the ESM loader from here).
    const api = createRequire(workerData.module).resolve('tsx/esm/api').replace(/\\.cjs$/, '.mjs');
    (await import(pathToFileURL(api).href)).register();
  }
  const { doraChartPng } = await import(workerData.module);
  parentPort.on('message', ({ id, summary, title }) => {
    doraChartPng(summary, title).then(
      (png) => parentPort.postMessage({ id, png }),
      (error) => parentPort.postMessage({ id, error: String((error && error.stack) || error) }),
    );
  });
})().catch((error) => parentPort.postMessage({ fatal: String((error && error.stack) || error) }));
`;

type Answer = { id: number; png?: Uint8Array; error?: string } | { fatal: string };

/**
 * Vega's layout and resvg's rasterising take ~20 ms of CPU a chart, and 20 requests at once held the event loop
 * for 448 ms: Slack's 3-s acks share that loop. They run in a worker thread instead, started at the first chart
 * and kept (unref'd) for the next; a thread that dies is started again at the next chart.
 */
export function threadedChartRenderer(): ChartRenderer {
  let worker: Worker | undefined;
  let next = 0;
  const waiting = new Map<number, { resolve: (png: Buffer) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const thread = (): Worker => {
    if (worker) return worker;
    const started = new Worker(THREAD, { eval: true, workerData: { module: CHART_MODULE } });
    started.unref();
    started.on('message', (answer: Answer) => {
      if ('fatal' in answer) return failAll(new Error(`the chart thread could not start: ${answer.fatal}`));
      const w = waiting.get(answer.id);
      if (!w) return;
      waiting.delete(answer.id);
      if (answer.png) w.resolve(Buffer.from(answer.png));
      else w.reject(new Error(answer.error ?? 'the chart thread gave no picture'));
    });
    const gone = (error: Error) => {
      if (worker === started) worker = undefined;
      failAll(error);
    };
    started.on('error', gone);
    started.on('exit', (code) => gone(new Error(`the chart thread exited (${code})`)));
    worker = started;
    return started;
  };
  return {
    png: (summary, title) =>
      new Promise<Buffer>((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        thread().postMessage({ id, summary, title });
      }),
    close: async () => {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
