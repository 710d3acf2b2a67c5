import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AppHomeStore } from '../integrations/database/app-home-store.js';
import type { ReleaseJobs } from '../jobs/queue.js';
import { homeOpened } from '../services/app-home.js';

export interface AppHomeHandlerDeps {
  home: AppHomeStore;
  jobs: ReleaseJobs;
  clock: () => Date;
  log: Logger;
}

/**
 * `app_home_opened`: Bolt acks the event at once; tminus remembers who opened the Home and queues its
 * publish (a repeated delivery or a second open while one is queued makes no second publish).
 */
export function registerAppHome(app: App, deps: AppHomeHandlerDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    // The Messages and About tabs send the event too: only the Home is tminus's to draw.
    if (event.tab !== 'home') return;
    await homeOpened(deps, event.user).catch((err: unknown) => deps.log.error({ err, user: event.user }, 'could not queue the App Home'));
  });
}
