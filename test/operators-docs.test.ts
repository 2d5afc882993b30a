/**
 * One way to install the operators, the same everywhere: the prerequisites checklist's block and
 * the Helm chart's README are both operatorInstallMarkdown(), and every step is pinned.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { exampleRaw, resolved, ROOT, withChange } from './support/fixtures';
import { operatorInstallMarkdown, operatorInstalls } from '../lib/rules/operators';

test('the prerequisites checklist holds exactly the generated install steps', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'docs', 'prerequisites.md'), 'utf8');
  const block = /<!-- operators:start -->\n([\s\S]*?)\n<!-- operators:end -->/.exec(readme);
  expect(block?.[1]).toBe(operatorInstallMarkdown());
});

test('every command is pinned (no latest, no unversioned chart or manifest)', () => {
  for (const o of operatorInstalls('cnpg-system', 'keda')) {
    for (const c of o.commands.filter((x) => !x.startsWith('#'))) {
      expect(c).not.toMatch(/latest|\/main\/|refs\/heads/);
      if (/https:\/\/github.com\/.*\/releases\/download\//.test(c)) expect(c).toMatch(/\/download\/v\d+\.\d+\.\d+\//);
      if (/kustomize/.test(c)) expect(c).toMatch(/\?ref=v\d+\.\d+\.\d+"/);
      if (/^helm /.test(c)) expect(c).toMatch(/--version \d+\.\d+\.\d+/);
    }
  }
});

test('CloudNativePG and the plugin go to the namespace the network policies allow', () => {
  const md = operatorInstallMarkdown('db-operators');
  expect(md).toMatch(/--namespace db-operators --create-namespace/);
  expect(md).toMatch(/kubectl -n db-operators rollout status deployment\/barman-cloud/);
});

test('with another operator namespace, the plugin step itself puts the plugin there', () => {
  // The release's manifest.yaml is kustomize output with `namespace: cnpg-system` on every
  // namespaced object and on the ClusterRoleBinding's subject (plugin-barman-cloud v0.14.0:
  // kubernetes/kustomization.yaml, config/rbac/role_binding.yaml). A sample of that shape stands
  // in for the download; the step's pipeline runs with real bash and sed.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-plugin-ns-'));
  try {
    const sample = path.join(tmp, 'manifest.yaml');
    fs.writeFileSync(sample, [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: barman-cloud\n  namespace: cnpg-system\n',
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: barman-cloud\n  namespace: cnpg-system\n',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: plugin-barman-cloud-binding\nsubjects:\n- kind: ServiceAccount\n  name: plugin-barman-cloud\n  namespace: cnpg-system\n',
    ].join('---\n'));
    const step = operatorInstalls('db-operators').find((o) => /Barman/.test(o.name))!;
    const url = 'https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml';
    const apply = step.commands.find((c) => c.includes(url))!;
    expect(apply).toMatch(/^curl -fsSL \S+ \| sed .* \| kubectl apply -f -$/);
    // what reaches the cluster: the download is the sample, kubectl apply prints what it gets
    const script = apply.replace(new RegExp(`curl -fsSL ${url.replace(/[.]/g, '\\.')}`), `cat ${sample}`).replace('kubectl apply -f -', 'cat');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    const applied = parseAllDocuments(r.stdout).map((d) => d.toJS()).filter((o) => o);
    expect(applied.map((o) => o.metadata.namespace ?? o.subjects[0].namespace)).toEqual(['db-operators', 'db-operators', 'db-operators']);
    expect(step.commands).toContain('kubectl -n db-operators rollout status deployment/barman-cloud');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// The Helm chart's README carrying the same steps is checked in delivery.test.ts, on the chart it builds.

test('the snapshot-controller runs the external-snapshotter release its CRDs come from', () => {
  // external-snapshotter's deploy/kubernetes/snapshot-controller at tag v8.6.0 still names the
  // image snapshot-controller:v8.5.0 (upstream bumps it on master after the release), so the
  // pinned ref alone would run the previous controller against the new CRDs.
  const step = operatorInstalls().find((o) => /snapshot-controller/.test(o.name))!;
  const ref = /\?ref=(v\d+\.\d+\.\d+)/.exec(step.commands.join('\n'))?.[1];
  expect(ref).toBe('v8.6.0');
  expect(step.commands).toContain(`kubectl -n kube-system set image deployment/snapshot-controller snapshot-controller=registry.k8s.io/sig-storage/snapshot-controller:${ref}`);
  expect(step.commands).toContain('kubectl -n kube-system rollout status deployment/snapshot-controller');
});

describe('the Kubernetes the pinned CloudNativePG chart installs on', () => {
  // cloudnative-pg/charts tag cloudnative-pg-v0.29.0, charts/cloudnative-pg/Chart.yaml:
  // kubeVersion ">=1.29.0-0": helm refuses the install step on an older cluster.
  const withK3s = (version: string, mode?: 'external') => resolved(withChange(exampleRaw(), (c) => {
    c.k3s = { ...c.k3s, version };
    if (mode) c.database = { mode, host: 'db.example.org', passwordSecret: { name: 'db', key: 'password' } };
  })).warnings.join('\n');

  test('k3s 1.28 with database.mode cnpg is warned about, naming the version and the chart', () => {
    expect(withK3s('v1.28.15+k3s1')).toMatch(/k3s\.version: v1\.28\.15\+k3s1 is Kubernetes 1\.28, but the CloudNativePG Helm chart 0\.29\.0 .* requires Kubernetes >= 1\.29/);
  });

  test('1.29 and newer, or an external database, are not', () => {
    expect(withK3s('v1.29.7+k3s1')).not.toMatch(/CloudNativePG Helm chart/);
    expect(withK3s('v1.30.6+k3s1')).not.toMatch(/CloudNativePG Helm chart/);
    expect(withK3s('v1.28.15+k3s1', 'external')).not.toMatch(/CloudNativePG Helm chart/);
  });
});

describe('KEDA, when sidekiq.keda is set', () => {
  // kedacore/charts tag v2.20.2 (cbb9bb8 "prepare v2.20.2 release"): keda/Chart.yaml version and
  // appVersion 2.20.2, the release crds/keda was vendored from; values.yaml crds.install: true.
  const step = 'helm upgrade --install keda keda --repo https://kedacore.github.io/charts --version 2.20.2 --namespace keda-ops --create-namespace --wait';

  test('is a pinned step into sidekiq.keda.operatorNamespace, only when asked for', () => {
    expect(operatorInstalls('cnpg-system', 'keda-ops').flatMap((o) => o.commands)).toContain(step);
    expect(operatorInstalls().map((o) => o.name)).not.toContain('KEDA');
  });

  test('the prerequisites checklist carries it (the Helm chart README: delivery.test.ts)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'docs', 'prerequisites.md'), 'utf8');
    expect(readme).toContain(step.replace('keda-ops', 'keda'));
  });
});
