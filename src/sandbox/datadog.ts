/**
 * The local Datadog API stand-in (see `./datadog/stand-in.ts`), split by concern under `./datadog/`:
 * metric queries, graph snapshots and their PNG, logs, events and DORA, monitors, HTTP plumbing.
 */
export { DatadogStandIn } from './datadog/stand-in.js';
export { encodePng } from './datadog/png.js';
export type * from './datadog/types.js';
