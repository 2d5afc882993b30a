/**
 * How a construct reports props it refuses: every problem at once, each naming its prop path.
 * Pure: no cdk8s imports.
 */

/** One problem: the field or prop path, and what is wrong with how to fix it. */
export interface PropProblem {
  readonly path: string;
  readonly message: string;
}

/** One Error message listing every problem, a line each: `<prop path>: <what is wrong>; <fix>`. */
export function formatPropProblems(what: string, problems: readonly PropProblem[]): string {
  return `${what}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`;
}
