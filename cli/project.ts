/**
 * What `cdk8s-mastodon init` writes: a GitOps repository for one server that depends on this
 * package. Pure text; cli/init.ts writes it to disk.
 */
import { operatorInstallMarkdown } from '../lib/rules/operators';

/** The choices init asks for. */
export interface ProjectOptions {
  /** Instance name: prefixes every object. */
  readonly name: string;
  /** LOCAL_DOMAIN. */
  readonly domain: string;
  /** The repository Argo CD syncs; the placeholder when not known yet. */
  readonly repoURL: string;
  /** Exact versions: this package (or file:vendor/<tarball>) and its peers and tools. */
  readonly versions: Readonly<Record<string, string>>;
}

/**
 * A repoURL under the reserved `.invalid` top-level domain (RFC 2606) can never be cloned:
 * init writes this until the user names their repository, and synth refuses it.
 */
export const REPO_PLACEHOLDER = 'https://git.example.invalid/REPLACE-ME/mastodon-gitops.git';

/** The npm scripts of a server repository, each `cdk8s-mastodon <same name>` (docs/commands.md). */
export const SERVER_SCRIPTS = ['synth', 'test', 'plan', 'budget', 'routes', 'secrets', 'netcheck', 'k3s-config', 'helm'] as const;

export function packageJson(o: ProjectOptions): string {
  const v = o.versions;
  return `${JSON.stringify({
    name: `${o.name}-mastodon`,
    version: '0.0.0',
    private: true,
    description: `Mastodon for ${o.domain}: config/server.yaml in, dist/ out (cdk8s-mastodon)`,
    scripts: Object.fromEntries(SERVER_SCRIPTS.map((s) => [s, `cdk8s-mastodon ${s}`])),
    dependencies: {
      'cdk8s-mastodon': v['cdk8s-mastodon'],
      'cdk8s': v.cdk8s,
      'cdk8s-plus-28': v['cdk8s-plus-28'],
      'constructs': v.constructs,
    },
    devDependencies: {
      '@types/node': v['@types/node'],
      'ts-node': v['ts-node'],
      'typescript': v.typescript,
    },
  }, null, 2)}\n`;
}

export const MAIN_TS = `/**
 * The cdk8s app: config/server.yaml (or MASTODON_CONFIG) becomes the manifests in dist/.
 * Add constructs of your own here if you need them; \`npm test\` checks whatever this writes.
 */
import { synthesizeApp } from 'cdk8s-mastodon';

const file = process.env.MASTODON_CONFIG || 'config/server.yaml';
const result = synthesizeApp(file, process.env.CDK8S_OUTDIR || 'dist');
if (!result.ok) {
  process.stderr.write(\`\${result.report}\\n\`);
  process.exit(1);
}
for (const w of result.warnings) process.stderr.write(\`warning: \${w}\\n\`);
`;

export const CDK8S_YAML = `language: typescript
app: npx --no-install ts-node main.ts
output: dist
`;

export const TSCONFIG = `${JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'] },
  include: ['main.ts'],
}, null, 2)}\n`;

export const GITIGNORE = `node_modules/
.synth-tmp-*/
# packed tarballs at the top only: vendor/ holds the cdk8s-mastodon tarball a checkout's init copied
/*.tgz
# npm run secrets output: never commit Secret values
secrets*.yaml
# what npm run plan, netcheck and k3s-config write for you to look at or copy to the nodes
/plan.svg
/plan.png
/netcheck.svg
/netcheck.png
/netcheck/
/k3s-config/
`;

export function serverYaml(o: ProjectOptions): string {
  const n = o.name;
  return `# yaml-language-server: $schema=../node_modules/cdk8s-mastodon/config/schema.json
#
# Your Mastodon server. Every field is checked when you run npm run synth (and by your editor,
# through the schema line above); config/example.yaml in node_modules/cdk8s-mastodon shows a
# larger setup, node_modules/cdk8s-mastodon/docs/configuration-reference.md explains every field,
# and docs/prerequisites.md there is the checklist of what the cluster needs first.
name: ${n}                  # prefixes every object: ${n}-web, ${n}-sidekiq-default, ...
namespace: mastodon
domain: ${o.domain}         # LOCAL_DOMAIN: the domain in user handles; cannot change later

mastodon:
  version: v4.7.2
  # npm run secrets -- --name ${n}-mastodon-secrets --namespace mastodon | kubectl apply -f -
  secretName: ${n}-mastodon-secrets

nodes:
  # Label each node with its pool: kubectl label node <node> node-pool=cloud
  poolLabel: node-pool
  # role: which nodes run the k3s control plane. Three servers (embedded etcd) survive the loss
  # of any one; with a single server, its loss stops all rescheduling (docs/control-plane.md).
  # address is for npm run k3s-config (192.0.2.x is the documentation range: put your nodes' addresses).
  inventory:                # every node, as the planner (npm test) sees it
    - { name: node-1, role: server, address: 192.0.2.11, pool: cloud, arch: amd64, cpu: 4, memory: 8Gi }
    - { name: node-2, role: server, address: 192.0.2.12, pool: cloud, arch: amd64, cpu: 4, memory: 8Gi }
    - { name: node-3, role: server, address: 192.0.2.13, pool: cloud, arch: amd64, cpu: 4, memory: 8Gi }

# For npm run k3s-config (each node's /etc/rancher/k3s/config.yaml) and the plan's control plane;
# install with curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=<version> sh -s - server (node_modules/cdk8s-mastodon/docs/prerequisites.md, step 1).
# k3s:
#   version: v1.30.6+k3s1     # what the nodes run (k3s --version)
#   datastore: etcd           # embedded etcd on the three servers (sqlite for a single server)
#   flannelBackend: vxlan     # or wireguard-native: encrypted between nodes

sidekiq:
  # No queues listed: the generated layout spreads Mastodon's queues over the processes.
  processes:
    - { name: default, concurrency: 10 }
    - { name: push, concurrency: 10 }
    - { name: pull, concurrency: 10 }

database:
  # A CloudNativePG cluster (primary + replicas, PgBouncer, WAL archiving and base backups to S3).
  mode: cnpg
  instances: 3
  storage: { size: 20Gi }
  walStorage: { size: 5Gi }
  backup:
    objectStore:
      destinationPath: s3://${n}-backups/postgres
      endpointURL: https://s3.eu-central-003.backblazeb2.com   # your bucket's S3 endpoint (B2: on the bucket page)
      # Its own key, restricted to the backup bucket: a leaked media key cannot touch the backups.
      credentialsSecret: { name: ${n}-backup-s3 }   # keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY

media:
  s3:
    bucket: ${n}-media
    endpoint: https://s3.eu-central-003.backblazeb2.com
    region: eu-central-003
    # Files are linked as https://media.${o.domain}/...: a proxied CNAME and a rewrite in
    # Cloudflare (node_modules/cdk8s-mastodon/docs/prerequisites.md, step 7).
    aliasHost: media.${o.domain}
    credentialsSecret: { name: ${n}-s3 }       # keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the media bucket's key)

smtp:
  server: smtp.example.com
  port: 587
  login: mastodon@${o.domain}
  fromAddress: "Mastodon <notifications@${o.domain}>"
  passwordSecret: { name: ${n}-smtp, key: password }

tunnel:
  # Routes kept in the Cloudflare dashboard; npm run routes prints what to enter there.
  mode: remote
  tokenSecret: { name: ${n}-tunnel, key: token }

argocd:
  # The repository Argo CD syncs (this one). npm run synth refuses the placeholder.
  repoURL: ${o.repoURL}
  targetRevision: main
  path: dist
`;
}

export function readme(o: ProjectOptions): string {
  return `# Mastodon for ${o.domain}

This repository holds one server: \`config/server.yaml\` is the whole description, \`dist/\` the
manifests Argo CD deploys, made by [cdk8s-mastodon](https://www.npmjs.com/package/cdk8s-mastodon)
${o.versions['cdk8s-mastodon']} (a dependency you upgrade, not a fork).

## Next steps

1. Edit \`config/server.yaml\`: nodes, S3, SMTP${o.repoURL === REPO_PLACEHOLDER ? ', and `argocd.repoURL` (the URL of this repository; synth refuses the placeholder)' : ''}.
2. \`npm run synth\`: checks the config and writes \`dist/\` (it prints every problem and leaves \`dist/\` alone on bad input).
3. \`npm test\`: the config is valid, \`dist/\` is fresh, every pod fits on your nodes and still
   fits after losing any one node, and every object passes strict Kubernetes schema validation.
4. Commit and push to the branch Argo CD syncs (\`argocd.targetRevision\`, \`main\`):
   \`git init -b main && git add -A && git commit -m "${o.name}" && git remote add origin ${o.repoURL === REPO_PLACEHOLDER ? '<your repository URL>' : o.repoURL} && git push -u origin main\`.
   Argo CD reads the pushed repository; if it is private, give Argo CD read access first:
   \`argocd repo add <url> --username <user> --password <token>\` (or a deploy key).
5. On the cluster, once: install the operators ([below](#operators-once-per-cluster)), then
   create the namespace before anything that lives in it:

   \`\`\`sh
   kubectl create namespace mastodon
   npm run -s secrets -- --name ${o.name}-mastodon-secrets --namespace mastodon | kubectl apply -f -
   npm run -s secrets -- --skeletons > secrets-skeletons.yaml   # fill in, apply, never commit
   kubectl apply -f dist/argocd.k8s.yaml                        # Argo CD takes it from here
   \`\`\`

6. \`npm run routes\`: the public host names and Services to enter in the Cloudflare dashboard.

Every tool is an npm script here: \`synth\`, \`test\`, \`plan\` (and its picture), \`budget\`,
\`routes\`, \`secrets\`, \`netcheck\` (the network doctor), \`k3s-config\` (each node's k3s
config) and \`helm\` (a Helm chart of the same manifests); \`npm run <name> -- --help\` says
what each takes, and cdk8s-mastodon's docs/commands.md where each one runs.

## Operators, once per cluster

In this order, before the first sync (the same pinned steps as step 2 of the prerequisites
checklist, node_modules/cdk8s-mastodon/docs/prerequisites.md, which covers the rest of the
cluster too; its docs/operators.md says what each pin was checked against):

${operatorInstallMarkdown()}

Upgrading: read the new version's \`Upgrade:\` steps in node_modules/cdk8s-mastodon/CHANGELOG.md,
bump \`cdk8s-mastodon\` in package.json, \`npm install\`, \`npm run synth\`, read what it says, review
the diff of \`dist/\`, commit. Roll back by reverting the commit; what a revert cannot undo (database
migrations, a Postgres major upgrade) is in node_modules/cdk8s-mastodon/docs/upgrading.md.

In CI on a pull request, run \`npm ci && npm test -- --base origin/main\` (with the base branch
fetched: \`actions/checkout\` with \`fetch-depth: 0\`). Without \`--base\`, a pull request that
commits both the config change and its \`dist/\` compares \`dist/\` with itself, so the change guard
sees nothing (node_modules/cdk8s-mastodon/docs/change-guard.md).
`;
}
