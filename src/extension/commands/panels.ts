import type { CommandContext, Handler } from './context';
import type { CommandHelpers } from './helpers';

/** The example panel and the dashboard. */
export type PanelCommandId = 'premem.showExample' | 'premem.showDashboard';

export function panelCommands(ctx: CommandContext, helpers: CommandHelpers): Record<PanelCommandId, Handler> {
  const { targetOf } = helpers;
  return {
    'premem.showExample': async (arg?: unknown) => {
      const target = await targetOf(arg, 'Open an example of which run?');
      if (target) await ctx.examplePanel.show(target);
    },
    'premem.showDashboard': () => ctx.dashboard.show(),
  };
}
