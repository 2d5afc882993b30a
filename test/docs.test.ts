/**
 * The docs as a newcomer meets them: a short README, a configuration reference that is what the
 * schema says now, and links that lead somewhere.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_REFERENCE_FILE, renderConfigReference } from '../scripts/config-reference';
import { EXAMPLE_FILE, resolved, ROOT } from './support/fixtures';
import { parse } from 'yaml';
import { serverYaml } from '../cli/project';
import { formatErrors, loadConfigText } from '../lib';
import { CNPG_CHART_MIN_KUBERNETES_MINOR, operatorInstallMarkdown, operatorInstalls } from '../lib/rules/operators';

describe('configuration reference', () => {
  test('docs/configuration-reference.md is what npm run docs:config writes from the schema now', () => {
    expect(fs.readFileSync(CONFIG_REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  test('every field path of the schema has a row, with its default', () => {
    const text = renderConfigReference();
    for (const p of ['name', 'web.replicas', 'sidekiq.processes[].queues', 'database.backup.objectStore.destinationPath', 'restarts.sidekiq']) {
      expect(text).toContain(`| \`${p}\` |`);
    }
    expect(text).toMatch(/\| `namespace` \| string \| {2}\| `"mastodon"` \|/);
  });

  // Issue 23 review M4: a row whose description is empty (or only its "(when ...)" note) tells a
  // reader nothing; every field of the schema gets a .describe() text.
  test('every row has a description beyond its "(when ...)" note', () => {
    const empty = renderConfigReference().split('\n').filter((l) => l.startsWith('| `'))
      .map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()))
      .filter((cells) => cells[4].replace(/^\(when [^)]*\)\s*/, '') === '')
      .map((cells) => cells[0]);
    expect(empty).toEqual([]);
  });

  test('a field added to the schema makes the file stale', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', description: 'Instance name.' }, extra: { type: 'integer', default: 3, description: 'New.' } }, required: ['name'] };
    expect(renderConfigReference(schema)).toContain('| `extra` | integer |  | `3` | New. |');
    expect(renderConfigReference(schema)).not.toBe(fs.readFileSync(CONFIG_REFERENCE_FILE, 'utf8'));
  });
});


/** The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
export function headingAnchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const h = fence ? null : /^#{1,6} (.*)$/.exec(line);
    if (h) {
      const base = h[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');
      const n = seen.get(base) ?? 0;
      out.add(n === 0 ? base : `${base}-${n}`);
      seen.set(base, n + 1);
    }
    for (const m of line.matchAll(/<a (?:id|name)="([^"]+)"/g)) out.add(m[1]);
  }
  return out;
}

/** Every relative link target of a Markdown file, outside code blocks and code spans. */
function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    if (fence) continue;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1]) && !m[1].startsWith('//')) out.push(m[1]);
    }
  }
  return out;
}

const DOCS = path.join(ROOT, 'docs');
const MARKDOWN = ['README.md', ...fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the README and docs/', () => {
  test('the README is a short guide: at most 250 lines', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(250);
  });

  test('the README keeps the two commands CI runs', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/^npm ci && npm run synth {3}#/m);
    expect(readme).toMatch(/^npm ci && npm test {8}#/m);
  });

  test.each(MARKDOWN)('every relative link in %s resolves, #anchors included', (file) => {
    const from = path.join(ROOT, file);
    const broken: string[] = [];
    for (const link of relativeLinks(fs.readFileSync(from, 'utf8'))) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target === '' ? from : path.resolve(path.dirname(from), decodeURIComponent(target));
      if (!fs.existsSync(resolved)) {
        broken.push(`${link}: no such file`);
      } else if (anchor !== undefined && resolved.endsWith('.md') && MARKDOWN.includes(path.relative(ROOT, resolved))
        && !headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${link}: no heading with that anchor`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('the anchor rules match GitHub\'s', () => {
    expect([...headingAnchors('# Capacity plan: `npm run plan`\n## Errors\n## Errors\n```\n# not a heading\n```')])
      .toEqual(['capacity-plan-npm-run-plan', 'errors', 'errors-1']);
  });
});

describe('the prerequisites checklist', () => {
  const checklist = fs.readFileSync(path.join(DOCS, 'prerequisites.md'), 'utf8');
  /** The release crds/SOURCES.md records for a project: the CRDs the manifests are validated against. */
  const vendored = (project: string) => new RegExp(`\\| ${project} \\| (v[0-9.]+)`).exec(fs.readFileSync(path.join(ROOT, 'crds', 'SOURCES.md'), 'utf8'))![1];

  test('installs the operators with the pinned steps of the code, KEDA included', () => {
    expect(checklist).toContain(`<!-- operators:start -->\n${operatorInstallMarkdown()}\n<!-- operators:end -->`);
    const keda = operatorInstalls('cnpg-system', 'keda').find((o) => o.name === 'KEDA')!;
    for (const c of keda.commands) expect(checklist).toContain(c);
  });

  test('names the versions the code pins: CloudNativePG, the plugin, KEDA, Argo CD, the Prometheus Operator', () => {
    for (const o of operatorInstalls('cnpg-system', 'keda')) expect(checklist).toContain(o.version.split(' ')[0]);
    const cnpg = vendored('cloudnative-pg/cloudnative-pg').slice(1);
    const plugin = vendored('cloudnative-pg/plugin-barman-cloud');
    const keda = vendored('kedacore/keda').slice(1);
    expect(checklist).toContain(`**CloudNativePG** ${cnpg} `);
    expect(checklist).toContain(`**Barman Cloud plugin** ${plugin}:`);
    expect(checklist).toContain(`**KEDA** ${keda}`);
    // The README's short list says the same.
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const v of [`CloudNativePG ${cnpg}`, `Barman Cloud plugin ${plugin.slice(1)}`, `KEDA ${keda}`, `Argo CD ${vendored('argoproj/argo-cd').slice(1)}`]) {
      expect(readme).toContain(v);
    }
    const argo = vendored('argoproj/argo-cd');
    expect(checklist).toContain(`Argo CD **${argo}**`);
    expect(checklist).toContain(`argoproj/argo-cd/${argo}/manifests/install.yaml`);
    const prom = vendored('prometheus-operator/prometheus-operator');
    expect(checklist).toContain(`Prometheus Operator **${prom}**`);
    expect(checklist).toContain(`prometheus-operator/prometheus-operator/${prom}/example/prometheus-operator-crd/`);
    expect(checklist).toContain(`at least 1.${CNPG_CHART_MIN_KUBERNETES_MINOR}`);
  });

  test('creates the tunnel credentials Secret with the key the manifests read', () => {
    const tunnel = resolved().tunnel;
    expect(tunnel?.mode).toBe('local');
    if (tunnel?.mode !== 'local') return;
    expect(checklist).toContain(`create secret generic ${tunnel.credentialsSecret.name} --from-file=${tunnel.credentialsSecret.key}=`);
  });

  // Issue 23 review M1: nothing is created in the namespace before the step that creates it, and
  // the skeletons of step 9 leave out the Secrets created earlier (applying them would overwrite).
  test('creates the namespace before the first Secret in it, and step 9 omits the Secrets made before', () => {
    const ns = resolved().namespace;
    const firstSecret = checklist.indexOf(`kubectl -n ${ns} create secret`);
    expect(firstSecret).toBeGreaterThan(0);
    expect(checklist.indexOf(`kubectl create namespace ${ns}`)).toBeGreaterThan(0);
    expect(checklist.indexOf(`kubectl create namespace ${ns}`)).toBeLessThan(firstSecret);
    const made = [...checklist.slice(0, checklist.indexOf('## 9.')).matchAll(new RegExp(`kubectl -n ${ns} create secret generic (\\S+)`, 'g'))].map((m) => m[1]);
    expect(made.length).toBeGreaterThan(0);
    const skeletons = /npm run -s secrets -- --skeletons[^\n>]*/.exec(checklist.slice(checklist.indexOf('## 9.')))![0];
    for (const name of new Set(made)) expect(skeletons).toContain(`--omit ${name}`);
  });

  // Review M2: init writes tunnel.mode remote, so the checklist has its commands too.
  test('remote tunnel mode: the token Secret with the key init writes, and where the routes go', () => {
    const tunnel = parse(serverYaml({ name: 'ocw', domain: 'ocw.social', repoURL: 'https://x.example/r.git', versions: {} })).tunnel;
    expect(tunnel.mode).toBe('remote');
    expect(checklist).toContain(`create secret generic ${tunnel.tokenSecret.name} --from-literal=${tunnel.tokenSecret.key}=`);
    expect(checklist).toContain('cloudflared tunnel token');
    expect(checklist).toMatch(/Public Hostname/);
  });

  // Review M5, M6: the k3s install, and an SMTP check that shows the relay's answer to QUIT.
  test('installs k3s at the pinned version, servers first, and checks SMTP with a command that prints an answer', () => {
    expect(checklist).toContain('curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=');
    expect(checklist).toMatch(/sh -s - server/);
    expect(checklist).toMatch(/sh -s - agent/);
    expect(checklist).toContain("printf 'QUIT\\r\\n' | openssl s_client -starttls smtp -connect");
  });

  // Review L8: the plugin's Certificate needs cert-manager's webhook serving with its CA injected,
  // which rollout status does not wait for; cert-manager's docs check it with cmctl.
  test('waits for the cert-manager API before the Barman Cloud plugin', () => {
    const check = checklist.indexOf('cmctl check api --wait=2m');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(checklist.indexOf('plugin-barman-cloud/releases/download'));
  });

  // Review L7: the plugin's manifest puts everything in cnpg-system; another operator namespace rewrites it.
  test('says how to install the plugin into another operator namespace', () => {
    const plugin = operatorInstalls('OPERATOR-NS').find((o) => o.name === 'Barman Cloud plugin')!;
    const rewrite = plugin.commands.find((c) => c.startsWith('curl '))!;
    expect(checklist).toContain(rewrite.split('OPERATOR-NS').join('<namespace>'));
  });

  test('covers each step the issue lists, each with a command', () => {
    for (const step of ['cloudflared tunnel login', 'cloudflared tunnel create', 'cloudflared tunnel route dns', 'npm run -s routes',
      'b2 bucket create', 'b2 key create', 'Transform Rule', 'argocd repo add', 'argocd.argoproj.io/secret-type=repository',
      'type: bak', 'k3s --version', 'smtp.passwordSecret']) {
      expect(checklist).toContain(step);
    }
  });
});

// Issue 23 review L9: what init writes is documented, file by file.
test("docs/commands.md names every file init says it wrote", () => {
  const commands = fs.readFileSync(path.join(DOCS, 'commands.md'), 'utf8');
  const section = /### What `init` writes\n([\s\S]*?)\n## /.exec(commands)![1];
  const wrote = /console\.log\(`wrote \$\{dir\}: ([^$`]+)/.exec(fs.readFileSync(path.join(ROOT, 'cli', 'init.ts'), 'utf8'))![1];
  const files = wrote.split(', ').map((f) => f.trim());
  expect(files).toContain('config/server.yaml');
  for (const f of files) expect(section).toContain(`\`${f}\``);
  expect(section).toContain('--force');
});

describe('the configuration guide', () => {
  test('its errors example is what the loader prints for those five mistakes, in one run', () => {
    const text = fs.readFileSync(EXAMPLE_FILE, 'utf8')
      .replace(/^domain: .*$/m, 'domain: ocw_social')
      .replace(/^web:\n {2}replicas: /m, 'web:\n  replcas: ')
      .replace(/^(streaming:[\s\S]*?limits: \{ memory: )[^ ]+ \}/m, '$1 1.5 GB }')
      .replace(/^( {4}- name: push\n {6}pool: )onprem/m, '$1onprme')
      .replace(/^( {4}- name: default\n)/m, '$1      queues: [default, scheduler, mailers, ingress, push, pull]\n')
      .replace(/^( {4}- name: push\n)/m, '$1      queues: [push, default, pull, ingress, mailers]\n')
      .replace(/^( {4}- name: pull\n)/m, '$1      queues: [pull, default, push, ingress, mailers]\n');
    const r = loadConfigText(text, 'config/my-server.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const guide = fs.readFileSync(path.join(DOCS, 'configuration.md'), 'utf8');
    const block = /## Errors[\s\S]*?```\n([\s\S]*?)\n```/.exec(guide)![1];
    expect(formatErrors('config/my-server.yaml', r.errors)).toBe(block);
  });
});
