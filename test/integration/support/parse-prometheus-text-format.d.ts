/** Types for parse-prometheus-text-format 1.1.1, which ships none (read in its README and dist/). */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    /** One sample; histograms and summaries carry buckets or quantiles instead of one value. */
    interface Sample {
      readonly value?: string;
      readonly labels?: Record<string, string>;
      readonly buckets?: Record<string, string>;
      readonly quantiles?: Record<string, string>;
      readonly count?: string;
      readonly sum?: string;
    }
    /** One metric family, its `# TYPE` upper-cased (UNTYPED when there is none). */
    interface MetricFamily {
      readonly name: string;
      readonly help: string;
      readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      readonly metrics: readonly Sample[];
    }
  }
  /** The families of a text-format exposition, in order. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.MetricFamily[];
  export = parsePrometheusTextFormat;
}
