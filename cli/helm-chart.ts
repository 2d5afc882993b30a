/**
 * The Helm chart of the same manifests as dist/: `npm run synth:helm` in this package and
 * `cdk8s-mastodon helm` in a server repository both call {@link buildHelmChart}.
 *
 * The templates are the app's Mastodon chart, synthesized in this process (`synthesizeApp` with
 * `mastodonOnly`, as main.ts does under CDK8S_MASTODON_ONLY) into templates/. That is all that is
 * kept of what `cdk8s synth --format helm` writes: read in cdk8s-cli 2.x,
 * lib/cli/cmds/synth.js, `--format helm` scaffolds Chart.yaml (name = the folder's, the given
 * version) and a one-line README.md, copies every imported CRD into crds/, then runs the app with
 * templates/ as its output folder; this module replaces Chart.yaml and README.md and drops crds/
 * (the operators own them). test/integration/helm-chart-equivalence.itest.ts builds the chart
 * both ways and compares every file.
 *
 * It then wires a small values.yaml into the templates (image tag and replica counts) with a
 * values.schema.json, and writes the chart's name, versions, description, icon and README.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConfigFile } from '../lib/config/load';
import type { ResolvedConfig } from '../lib/model';
import { helmOnlyAdditions } from '../lib/conventions/ordering';
import { helmTimeoutAdvice } from '../lib/rules/job-timeout';
import { operatorInstallMarkdown, operatorInstalls } from '../lib/rules/operators';
import { resourceName } from '../lib/rules/names';
import { sidekiqReplicas } from '../lib/rules/sidekiq-scaling';
import { packageVersion } from '../lib/app/package-root';
import { renderManifests } from '../lib/app/render';
import { synthesizeApp } from '../lib/app/synthesize';

/** The chart's name. */
export const CHART_NAME = 'cdk8s-mastodon';
const ICON = 'https://joinmastodon.org/logos/logo-purple.svg';

/**
 * YAML 1.1, as cdk8s writes dist/ (its own options): Helm reads charts with sigs.k8s.io/yaml
 * (go-yaml v2), where an unquoted on/off/yes/no is a boolean, so such strings must be quoted.
 */
const YAML_1_1 = { version: '1.1', lineWidth: 0 } as const;


/** A value wired into the templates: its key path in values.yaml and its default. */
interface Knob { readonly key: string[]; readonly value: string | number; readonly schema: Record<string, unknown> }

/** The token a value stands as while the templates are edited as YAML. */
const token = (key: string[]) => `@@${key.join('.')}@@`;
/** The Go template that reads the value (quoted for strings, so a tag like 4.7 stays a string). */
const expr = (k: Knob) => `{{ index .Values ${k.key.map((p) => `"${p}"`).join(' ')}${typeof k.value === 'string' ? ' | quote' : ''} }}`;

/**
 * Puts the knobs into the templates. The image tag goes into both Mastodon images and their
 * version labels; replicas may go down (0 scales a workload off) but not above what the
 * connection budget was computed for: raising them means regenerating the chart.
 */
export function wireValues(templates: string, c: ResolvedConfig): { templates: string; knobs: Knob[] } {
  const knobs: Knob[] = [];
  const tag = c.images.mastodon.tag;
  const tagKnob: Knob = { key: ['mastodon', 'tag'], value: tag, schema: { type: 'string', pattern: '^v4\\.[0-9]+\\.[0-9]+$', description: 'Mastodon release: the tag of both official images.' } };
  const official = !c.mastodon.image && !c.mastodon.streamingImage;
  if (official) knobs.push(tagKnob);
  const replicaKnob = (key: string[], replicas: number, what: string): Knob => ({
    key, value: replicas,
    schema: { type: 'integer', minimum: 0, maximum: replicas, description: `${what} replicas. At most ${replicas}: the Postgres connection budget was computed for that; regenerate the chart to raise it.` },
  });
  const deployments: Record<string, Knob> = {
    [resourceName(c.name, 'web')]: replicaKnob(['web', 'replicas'], c.web.replicas, 'Web (Puma)'),
    [resourceName(c.name, 'streaming')]: replicaKnob(['streaming', 'replicas'], c.streaming.replicas, 'Streaming'),
  };
  for (const p of c.sidekiq.processes) {
    const r = sidekiqReplicas(p, c.sidekiq);
    // A group KEDA scales has no spec.replicas (the HPA owns it), so there is nothing to offer.
    if (r.keda) continue;
    deployments[resourceName(c.name, 'sidekiq', p.name)] = replicaKnob(['sidekiq', p.name, 'replicas'], r.replicas!, `Sidekiq process ${p.name}`);
  }
  knobs.push(...Object.values(deployments));

  // Read and written as YAML 1.1, as cdk8s wrote them: Helm and kubectl read manifests with
  // sigs.k8s.io/yaml (go-yaml v2), where an unquoted on/off/yes/no is a boolean, so a string
  // parameter `on` must stay quoted (test/delivery.test.ts, "under YAML 1.1 readers").
  const docs = parseAllDocuments(templates, { version: '1.1' }).map((d) => d.toJS()).filter((o) => o);
  // A Helm chart installs into the namespace it is given (`helm install -n X`): every
  // `namespace` field that holds the configured one (metadata, RoleBinding subjects) becomes
  // .Release.Namespace.
  releaseNamespace(docs, c.namespace);
  for (const o of docs) {
    // Helm-only hook annotations (the search deploy Job): in dist/ Argo CD would honour them.
    const helm = helmOnlyAdditions(o);
    if (helm) {
      o.metadata.annotations = { ...o.metadata.annotations, ...helm.annotations };
      if (helm.ttlSecondsAfterFinished !== undefined) o.spec.ttlSecondsAfterFinished = helm.ttlSecondsAfterFinished;
    }
    if (o.kind === 'Deployment' && deployments[o.metadata.name] && !c.maintenance.stopWorkloads) {
      o.spec.replicas = token(deployments[o.metadata.name].key);
    }
  }
  // Text that is not ours to template (Prometheus alert annotations use {{ $value }}) must reach
  // the rendered objects unchanged: Helm would otherwise parse it and fail. One pass, so the
  // escapes it writes are not escaped again.
  let text = docs.map((d) => stringify(d, YAML_1_1)).join('---\n')
    .replace(/\{\{|\}\}/g, (b) => `{{ "${b}" }}`);
  if (official) {
    for (const repo of ['ghcr.io/mastodon/mastodon', 'ghcr.io/mastodon/mastodon-streaming']) {
      text = text.split(`image: ${repo}:${tag}\n`).join(`image: ${repo}:${token(tagKnob.key)}\n`);
    }
    text = text.split(`app.kubernetes.io/version: ${tag}\n`).join(`app.kubernetes.io/version: ${token(tagKnob.key)}\n`);
  }
  // The YAML writer quotes a value that is only the token (it starts with @): unquote those
  // whole values, and only those; a token inside a longer string keeps the quotes around it,
  // which belong to that string (PromQL's namespace="…" must stay quoted to parse).
  text = text.replace(new RegExp(`(^\\s*(?:- )?(?:[^\\s:"][^:"]*: )?)"${RELEASE_NAMESPACE}"$`, 'gm'), `$1${RELEASE_NAMESPACE}`)
    .split(RELEASE_NAMESPACE).join('{{ .Release.Namespace }}');
  for (const k of knobs) {
    const t = token(k.key);
    // A whole-value token (replicas, a label) was quoted by the YAML writer; one inside an
    // image reference is part of a longer string and must not be quoted again.
    text = text.split(`"${t}"`).join(expr(k)).split(`: ${t}\n`).join(`: ${expr(k)}\n`);
    text = text.split(t).join(`{{ index .Values ${k.key.map((p) => `"${p}"`).join(' ')} }}`);
  }
  return { templates: text, knobs };
}

const RELEASE_NAMESPACE = '@@release-namespace@@';

/**
 * Replaces the configured namespace where it means the app's own namespace: `namespace` fields,
 * the `kubernetes.io/metadata.name` label a namespaceSelector matches, and the DNS names of the
 * chart's own Services inside any string (`<svc>.<ns>`, `<svc>.<ns>.svc[.cluster.local]`, with a
 * port or inside a URL): the pooler names CNPG puts into the server certificate
 * (Cluster.spec.certificates.serverAltDNSNames, used as SANs as given) and the Redis address KEDA
 * dials; PromQL `namespace="<ns>"` selectors and `kubectl -n <ns>` in the alert rules and
 * runbooks. Only names of Services the chart makes (Services, CNPG Poolers, and the -rw/-ro/-r
 * Services CNPG makes for a Cluster) are rewritten, so a value that merely equals or ends with the
 * namespace (the database name 'mastodon', a domain whose TLD equals it) is left alone.
 */
function releaseNamespace(docs: any[], namespace: string): void {
  const quote = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const services = docs.flatMap((o) => {
    const name: string | undefined = o?.metadata?.name;
    if (!name) return [];
    if (o.kind === 'Service' || o.kind === 'Pooler') return [name];
    if (o.kind === 'Cluster' && /^postgresql\.cnpg\.io\//.test(o.apiVersion)) return ['rw', 'ro', 'r'].map((s) => `${name}-${s}`);
    return [];
  });
  const inDnsName = services.length === 0 ? undefined
    : new RegExp(`(?<![-a-z0-9.])(${services.map(quote).join('|')})\\.${quote(namespace)}(?=\\.svc\\b|$|[:/])`, 'g');
  // The alert rules select the app's series with namespace="<ns>" (PromQL) and their runbooks
  // say `kubectl -n <ns>`: both must name the namespace the release runs in.
  const selectorOrFlag = new RegExp(`(?<=\\bnamespace=~?"|(?:^|\\s)(?:-n|--namespace)[ =])${quote(namespace)}(?=[\\s";:,.)]|$)`, 'g');
  const walk = (n: any, key?: string): any => {
    if (Array.isArray(n)) return n.map((x) => walk(x));
    if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) n[k] = walk(v, k);
      return n;
    }
    if (typeof n !== 'string') return n;
    if ((key === 'namespace' || key === 'kubernetes.io/metadata.name') && n === namespace) return RELEASE_NAMESPACE;
    const renamed = n.replace(selectorOrFlag, RELEASE_NAMESPACE);
    return inDnsName ? renamed.replace(inDnsName, `$1.${RELEASE_NAMESPACE}`) : renamed;
  };
  for (const o of docs) walk(o);
}

function valuesOf(knobs: Knob[]): { values: Record<string, any>; schema: Record<string, any> } {
  const values: Record<string, any> = {};
  const root: Record<string, any> = { type: 'object', additionalProperties: false, properties: {}, required: [] };
  for (const k of knobs) {
    let v = values;
    let s = root;
    for (const [i, part] of k.key.entries()) {
      if (!s.required.includes(part)) s.required.push(part);
      if (i === k.key.length - 1) {
        v[part] = k.value;
        s.properties[part] = k.schema;
      } else {
        v = (v[part] ??= {});
        s = (s.properties[part] ??= { type: 'object', additionalProperties: false, properties: {}, required: [] });
      }
    }
  }
  return { values, schema: { $schema: 'http://json-schema.org/draft-07/schema#', ...root } };
}

function readme(c: ResolvedConfig, knobs: Knob[], regenerate: string): string {
  const timeout = helmTimeoutAdvice(renderManifests(c));
  return `# ${CHART_NAME}

Mastodon ${c.images.mastodon.tag} for ${c.domain}, generated by cdk8s-mastodon ${packageVersion()}
from its config. Do not edit the templates: change the config and run \`${regenerate}\`.

## Required operators

Install these first, in this order; their CRDs are not part of this chart (the operators own them):

${operatorInstallMarkdown(c.network.cnpgOperatorNamespace, c.sidekiq.keda?.operatorNamespace)}

## Install

\`\`\`sh
helm install ${c.name} ./chart --namespace ${c.namespace} --create-namespace --timeout ${timeout.timeout}
\`\`\`

Pass the same \`--timeout ${timeout.timeout}\` to \`helm upgrade\`. ${timeout.text} With Helm's default
5 minutes, a first install whose database is still starting is reported as failed although the
migration Job goes on and succeeds.

The Secrets the manifests reference (Mastodon keys, object storage, SMTP, the tunnel) must
exist in the namespace first; the chart never contains secret values.

## Values

| key | default | |
| --- | --- | --- |
${knobs.map((k) => `| \`${k.key.join('.')}\` | \`${k.value}\` | ${String(k.schema.description)} |`).join('\n')}

Everything else is fixed at generation time, because it is derived and checked together
(connection budget, queue layout, placement, network policy): change the config and regenerate.
`;
}

/** Options for {@link buildHelmChart}. */
export interface HelmChartOptions {
  /**
   * Writes the chart's templates/ (and anything else) into the chart folder it is given; returns
   * the problem, if any. The default synthesizes the app's Mastodon chart in this process.
   * @default the app's Mastodon chart, in-process
   */
  readonly templates?: (chartDir: string, configFile: string) => string | undefined;
  /**
   * The command that regenerates the chart, for its README.
   * @default 'npm run helm'
   */
  readonly regenerate?: string;
}

/** Builds the chart into `outDir` (replacing it only on success). Returns the problems, if any. */
export function buildHelmChart(outDir: string, configFile: string, options: HelmChartOptions = {}): string | undefined {
  const loaded = loadConfigFile(configFile);
  if (!loaded.ok) return loaded.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
  const c = loaded.config;
  // Beside the target, so the finished chart is renamed into place on the same file system.
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(outDir), '.synth-tmp-helm-'));
  try {
    const chart = path.join(scratch, 'chart');
    if (options.templates) {
      const problem = options.templates(chart, configFile);
      if (problem) return problem;
    } else {
      const r = synthesizeApp(configFile, path.join(chart, 'templates'), { mastodonOnly: true, baseline: false });
      if (!r.ok) return r.report;
    }
    fs.rmSync(path.join(chart, 'crds'), { recursive: true, force: true });
    const templateFile = path.join(chart, 'templates', 'mastodon.k8s.yaml');
    const wired = wireValues(fs.readFileSync(templateFile, 'utf8'), c);
    fs.writeFileSync(templateFile, wired.templates);
    const { values, schema } = valuesOf(wired.knobs);
    // values.yaml and Chart.yaml by the same writer (YAML 1.1): Helm reads them with the same go-yaml rules.
    fs.writeFileSync(path.join(chart, 'values.yaml'), `# Tunable without regenerating; see values.schema.json for the limits.\n${stringify(values, YAML_1_1)}`);
    fs.writeFileSync(path.join(chart, 'values.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);
    fs.writeFileSync(path.join(chart, 'Chart.yaml'), stringify({
      apiVersion: 'v2',
      name: CHART_NAME,
      description: `Mastodon on a hybrid amd64/arm64 k3s cluster: Puma, streaming, Sidekiq, Redis, CloudNativePG with two-tier backups, a Cloudflare Tunnel. Generated by cdk8s-mastodon for ${c.domain}.`,
      type: 'application',
      version: packageVersion(),
      appVersion: c.images.mastodon.tag,
      kubeVersion: '>=1.28.0-0',
      icon: ICON,
      home: 'https://joinmastodon.org',
      keywords: ['mastodon', 'fediverse', 'cloudnative-pg', 'cloudflare-tunnel', 'k3s'],
      annotations: { 'cdk8s-mastodon/operators': operatorInstalls(c.network.cnpgOperatorNamespace, c.sidekiq.keda?.operatorNamespace).map((o) => `${o.name} ${o.version}`).join(', ') },
    }, YAML_1_1));
    fs.writeFileSync(path.join(chart, 'README.md'), readme(c, wired.knobs, options.regenerate ?? 'npm run helm'));
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(chart, outDir);
    return undefined;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

