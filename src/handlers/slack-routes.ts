import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';

type ActionListener<A extends BlockAction> = (args: SlackActionMiddlewareArgs<A> & AllMiddlewareArgs) => Promise<void>;
type ViewListener = (args: SlackViewMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

/**
 * tminus's buttons, checkboxes and modals, found by their `action_id` or `callback_id` in one table. Bolt
 * runs every listener's middleware chain on every request it receives (a slash command walks the button
 * listeners too, and each walk allocates): one Bolt listener for every button and checkbox, dispatching
 * here, keeps what a request costs close to a bare app's (README, Performance). Handlers register here as
 * they would on Bolt's `app.action` and `app.view`.
 */
export class SlackRoutes {
  private readonly actions: { id: string | RegExp; listener: ActionListener<BlockAction> }[] = [];
  private readonly views = new Map<string, ViewListener>();

  /** A block action by its `action_id`, or by a pattern for ids that carry a value (`checklist-tick:…`). */
  action<A extends BlockAction>(id: string | RegExp, listener: ActionListener<A>): void {
    this.actions.push({ id, listener: listener as unknown as ActionListener<BlockAction> });
  }

  /** A modal's submission by its `callback_id`. */
  view(callbackId: string, listener: ViewListener): void {
    this.views.set(callbackId, listener);
  }

  /** The Bolt listener that dispatches block actions to the table, and the modals' listeners. */
  mount(app: App): void {
    app.action<BlockAction>({ type: 'block_actions' }, async (args) => {
      const id = args.action.action_id;
      const route = this.actions.find((r) => (typeof r.id === 'string' ? r.id === id : r.id.test(id)));
      // A link button, or an element of a message older than tminus's routes: nothing to do but say it arrived.
      if (!route) return args.ack();
      return route.listener(args);
    });
    // Modals keep a Bolt listener each (there are two): one tminus does not know is left unanswered, so
    // Slack keeps it open and says it could not be submitted, rather than closing it as if it had been.
    for (const [callbackId, listener] of this.views) app.view(callbackId, listener);
  }
}
