/**
 * The metric names and label matchers inside a PromQL expression or a promtool series, read with
 * Prometheus' own grammar (@prometheus-io/lezer-promql, the parser of Prometheus' web UI): every
 * vector selector, however deep in functions, aggregations, binary operators, offsets and
 * subqueries; never a function, keyword, grouping label or duration.
 */
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One vector selector: its metric name and the label names its matchers test. */
export interface Selector {
  readonly name: string;
  /** Label names of the matchers (`__name__` left out), in order. */
  readonly labels: readonly string[];
  /** The selector's text, for messages. */
  readonly text: string;
}

const unquote = (s: string): string => {
  const body = s.slice(1, -1);
  // Go string literals: double-quoted with escapes, single-quoted the same, backquoted raw.
  return s.startsWith('`') ? body : body.replace(/\\(.)/g, '$1');
};

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** The selector a VectorSelector node stands for. */
function selectorAt(node: SyntaxNode, expr: string): Selector {
  const text = expr.slice(node.from, node.to);
  let name: string | undefined;
  const labels: string[] = [];
  const ident = node.getChild('Identifier');
  if (ident) name = expr.slice(ident.from, ident.to);
  const matchers = node.getChild('LabelMatchers');
  for (const m of matchers ? children(matchers) : []) {
    if (m.name === 'QuotedLabelName') {
      // {"metric.name"}: a UTF-8 metric name alone.
      name = unquote(expr.slice(m.from, m.to));
      continue;
    }
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const labelNode = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    const op = m.getChild('MatchOp');
    const value = m.getChild('StringLiteral');
    if (!labelNode || !op || !value) continue;
    const label = labelNode.name === 'QuotedLabelName' ? unquote(expr.slice(labelNode.from, labelNode.to)) : expr.slice(labelNode.from, labelNode.to);
    if (label === '__name__') {
      if (expr.slice(op.from, op.to) !== '=') throw new Error(`'${text}' in '${expr}': a metric name chosen by regex or negation cannot be checked; name the metric`);
      name = unquote(expr.slice(value.from, value.to));
    } else {
      labels.push(label);
    }
  }
  if (!name) throw new Error(`'${text}' in '${expr}' names no metric`);
  return { name, labels, text };
}

/** The selectors inside a node, in order. */
function selectorsIn(node: SyntaxNode, expr: string): Selector[] {
  if (node.name === 'VectorSelector') return [selectorAt(node, expr)];
  return children(node).flatMap((c) => selectorsIn(c, expr));
}

function parsed(expr: string): SyntaxNode {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({ enter: (ref) => { if (ref.type.isError) errors.push(`at ${ref.from}: '${expr.slice(Math.max(0, ref.from - 10), ref.to + 10)}'`); } });
  if (errors.length > 0) throw new Error(`not valid PromQL: ${expr}\n${errors.join('\n')}`);
  return tree.topNode;
}

/**
 * Every vector selector in `expr`. Throws on a syntax error, and on a selector whose metric name
 * is not fixed (`{__name__=~"..."}`, or no name at all): the catalog check cannot judge those.
 */
export function selectors(expr: string): Selector[] {
  return selectorsIn(parsed(expr), expr);
}

/**
 * A `by (...)`, `on (...)` or `group_left/right (...)` clause: labels that must exist on the
 * series it groups or matches, else it groups everything into one or matches nothing. Each label
 * must be on some selector of every side (`by` and `group_*`: one side, the whole expression;
 * `on`: the left and the right operand). `without` and `ignoring` name labels to drop, which
 * need not exist.
 */
export interface Grouping {
  readonly clause: string;
  readonly labels: readonly string[];
  readonly sides: readonly (readonly Selector[])[];
}

/** Every by, on and group_left/right clause in `expr`. */
export function groupings(expr: string): Grouping[] {
  const found: Grouping[] = [];
  const labelsOf = (g: SyntaxNode) => g.getChildren('LabelName').map((l) => expr.slice(l.from, l.to));
  const visit = (node: SyntaxNode): void => {
    const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
    if (node.name === 'AggregateExpr') {
      const mod = node.getChild('AggregateModifier');
      const body = node.getChild('FunctionCallBody');
      const g = mod?.getChild('GroupingLabels');
      if (mod?.getChild('By') && g && body) found.push({ clause: `${text(mod)} in '${text(node)}'`, labels: labelsOf(g), sides: [selectorsIn(body, expr)] });
    }
    if (node.name === 'BinaryExpr') {
      const mod = node.getChild('MatchingModifierClause');
      const exprs = children(node).filter((c) => c.type.is('Expr'));
      const groups = mod ? mod.getChildren('GroupingLabels') : [];
      if (mod && exprs.length === 2) {
        const [left, right] = exprs.map((e) => selectorsIn(e, expr));
        if (mod.getChild('On') && groups[0]) found.push({ clause: `${text(mod)} in '${text(node)}'`, labels: labelsOf(groups[0]), sides: [left, right] });
        // group_left (x): its labels follow the on/ignoring list, or stand alone.
        const grouped = mod.getChild('GroupLeft') ?? mod.getChild('GroupRight');
        const groupSide = grouped ? groups.find((g) => g.from > grouped.from) : undefined;
        if (groupSide) found.push({ clause: `${text(mod)} in '${text(node)}'`, labels: labelsOf(groupSide), sides: [[...left, ...right]] });
      }
    }
    for (const c of children(node)) visit(c);
  };
  visit(parsed(expr));
  return found;
}

/** The distinct metric names in `expr`, sorted. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((s) => s.name))].sort();
}

/**
 * A promtool input series (`metric{a="b", c="d"}`): its name and the label names it sets. The
 * same grammar as a selector, which is how promtool itself reads it (parser.ParseSeriesDesc).
 */
export function seriesLabels(series: string): Selector {
  const all = selectors(series);
  if (all.length !== 1 || all[0].text.trim() !== series.trim()) throw new Error(`'${series}' is not one series`);
  return all[0];
}
