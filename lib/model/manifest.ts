/** A synthesized Kubernetes object, as plain data: what the chart renders and the rules read. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the body of any kind: each reader reads the fields it knows
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };
