import { parseArgsOrExit } from './args';
import { lib } from './common';
import { Invocation, loadConfigOrExit, synopsis } from './invocation';

/** What `budget --help` prints. */
export const budgetUsage = (inv: Invocation) => `${synopsis(inv, 'budget')}
Prints the Postgres connection budget of the config as a Markdown table.
  -h, --help  print this help
${inv.configNote}`;

/** budget: the Postgres connection budget of the config. */
export function budget(args: string[], inv: Invocation): number {
  parseArgsOrExit(budgetUsage(inv), { args, options: {} });
  const { formatBudget } = lib();
  const c = loadConfigOrExit(inv);
  console.log(c.postgres ? formatBudget(c.postgres.budget) : 'database.mode is external: the budget is yours to keep.');
  return 0;
}
