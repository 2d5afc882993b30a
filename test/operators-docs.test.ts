/**
 * One way to install the operators, the same everywhere: the README's block and the Helm
 * chart's README are both operatorInstallMarkdown(), and every step is pinned.
 */
import * as fs from 'fs';
import * as path from 'path';
import { operatorInstallMarkdown, operatorInstalls } from '../lib';
import { ROOT } from './support/fixtures';

test('the README holds exactly the generated install steps', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- operators:start -->\n([\s\S]*?)\n<!-- operators:end -->/.exec(readme);
  expect(block?.[1]).toBe(operatorInstallMarkdown());
});

test('every command is pinned (no latest, no unversioned chart or manifest)', () => {
  for (const o of operatorInstalls()) {
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
  expect(md).toMatch(/replace it with db-operators before applying/);
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
