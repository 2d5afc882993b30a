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

/**
 * Every vector selector in `expr`. Throws on a syntax error, and on a selector whose metric name
 * is not fixed (`{__name__=~"..."}`, or no name at all): the catalog check cannot judge those.
 */
export function selectors(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const found: Selector[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) errors.push(`at ${ref.from}: '${expr.slice(Math.max(0, ref.from - 10), ref.to + 10)}'`);
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
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
      found.push({ name, labels, text });
    },
  });
  if (errors.length > 0) throw new Error(`not valid PromQL: ${expr}\n${errors.join('\n')}`);
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
