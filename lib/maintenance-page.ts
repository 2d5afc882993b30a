import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, selectorLabels } from './conventions/labels';
import { resourceName } from './rules/names';
import { placement } from './conventions/placement';
import { httpProbe } from './conventions/probes';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { clusterService, containerResources, deploymentWithBudget, objectMeta } from './conventions/workload';
import { imageRef } from './rules/images';
import { MAINTENANCE_PORT, MAINTENANCE_PROBE_PORT } from './rules/services';
import type { MaintenanceConfig, ImageSpec } from './model';

/** Props for {@link MaintenancePage}. */
export interface MaintenancePageProps {
  /** Instance name; objects are `<instance>-maintenance`. */
  readonly instance: string;
  /** The `maintenance:` section of the config. */
  readonly maintenance: MaintenanceConfig;
  /** The node label whose value is the pool name. */
  readonly poolLabel: string;
  /** Pools the page may run in. */
  readonly pools: readonly string[];
  /** The nginx-unprivileged image. */
  readonly image: ImageSpec;
  /** The PriorityClass of the pods. @default none (priority 0) */
  readonly priorityClassName?: string;
}

/** uid of `nginx` in nginx-unprivileged. */
export const NGINX_UID = 101;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The page: the title is escaped, the message is HTML from the config. */
export function maintenanceHtml(m: MaintenanceConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(m.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#282c37;background:#f5f5fa}h1{font-size:1.6rem}</style>
</head>
<body>
<h1>${escapeHtml(m.title)}</h1>
${m.message}
</body>
</html>
`;
}

/**
 * The JSON body API clients get: Mastodon's API error shape, `{"error": "..."}` (as
 * `Api::BaseController` in mastodon/mastodon renders it), with the page title as the message.
 */
export function maintenanceJson(m: MaintenanceConfig): string {
  return `${JSON.stringify({ error: m.title })}\n`;
}

/** Where the page files are mounted in the container. */
export const MAINTENANCE_ROOT = '/usr/share/nginx/maintenance';
/** The internal URI prefix the error pages are served from; no client request can reach it. */
const PAGES = '/_maintenance/';

/**
 * nginx answering every request with 503 and Retry-After; /healthz answers 200 for the probes
 * on a port of its own that the Service does not expose (the tunnel cannot reach it).
 *
 * - Every method and path, `/index.html` included, gets 503: `location /` returns 503 and the
 *   page files live behind an `internal` prefix. A client asking for that prefix gets nginx's
 *   404 for internal locations, which `error_page 404 =503` turns into the same 503 page.
 * - `error_page` redirects with the method changed to GET (nginx docs), so POST, PUT and DELETE
 *   get the page too; HEAD gets the headers.
 * - API clients get JSON: a path under /api/ (Mastodon's REST and streaming API always answer
 *   JSON) or an Accept header naming any JSON type (application/json, activity+json, ld+json,
 *   jrd+json for ActivityPub and WebFinger). Everyone else gets the HTML page. `Vary: Accept`.
 * - `client_max_body_size 0`: nginx's default 1m limit would answer a media upload with 413
 *   (a client shows "file too large") before the 503; the body is read and dropped instead.
 * - `error_log stderr` (not /dev/stderr, which cannot be opened when stderr is a socket);
 *   no access log: every line would be the same 503, and Cloudflare shows the traffic.
 */
export function maintenanceNginxConf(m: MaintenanceConfig): string {
  const headers = `add_header Retry-After "${m.retryAfterSeconds}" always;
      add_header Cache-Control "no-store" always;
      add_header Vary "Accept" always;`;
  return `worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log off;
  server_tokens off;
  client_max_body_size 0;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  map $http_accept $maintenance_accept_json { default 0; "~*json" 1; }
  map "$maintenance_accept_json:$request_uri" $maintenance_page { default index.html; "~^1:" error.json; "~^0:/api/" error.json; }
  server {
    listen ${MAINTENANCE_PORT};
    error_page 503 ${PAGES}$maintenance_page;
    error_page 404 =503 ${PAGES}$maintenance_page;
    location ^~ ${PAGES} {
      internal;
      alias ${MAINTENANCE_ROOT}/;
      types { text/html html; application/json json; }
      charset utf-8;
      charset_types application/json;
      ${headers}
    }
    location / { return 503; }
  }
  server {
    listen ${MAINTENANCE_PROBE_PORT};
    location = /healthz { default_type text/plain; return 200 "ok\\n"; }
    location / { return 404; }
  }
}
`;
}

/**
 * The maintenance page: every Mastodon host name gets HTTP 503, a Retry-After header and a
 * short HTML page while the database is moved. Two small nginx replicas, multi-arch.
 */
export class MaintenancePage extends Construct {
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: MaintenancePageProps) {
    super(scope, id);
    const name = resourceName(props.instance, 'maintenance');
    const identity: Identity = { instance: props.instance, component: 'maintenance', version: props.image.tag };
    const data = {
      'nginx.conf': maintenanceNginxConf(props.maintenance),
      'index.html': maintenanceHtml(props.maintenance),
      'error.json': maintenanceJson(props.maintenance),
    };
    const cm = new k8s.KubeConfigMap(this, 'Config', { metadata: objectMeta(name, identity, 'config'), data });
    const where = placement({
      poolLabel: props.poolLabel,
      pool: props.pools,
      architectures: props.image.architectures,
      spread: { mode: 'hard', selector: selectorLabels(identity), rollingUpdate: true },
    });
    const result = deploymentWithBudget(this, {
      name,
      identity,
      replicas: 2,
      strategy: 'surge',
      podAnnotations: { 'checksum/config': createHash('sha256').update(JSON.stringify(data)).digest('hex') },
      podSpec: securePodSpec({
        uid: NGINX_UID,
        placement: where,
        priorityClassName: props.priorityClassName,
        volumes: [
          { name: 'config', configMap: { name: cm.name } },
          { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
        ],
        containers: [{
          name: 'nginx',
          image: imageRef(props.image),
          imagePullPolicy: 'IfNotPresent',
          ports: [
            { name: 'http', containerPort: MAINTENANCE_PORT, protocol: 'TCP' },
            { name: 'probe', containerPort: MAINTENANCE_PROBE_PORT, protocol: 'TCP' },
          ],
          resources: containerResources({ requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } }),
          securityContext: containerSecurityContext(NGINX_UID),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
            { name: 'config', mountPath: `${MAINTENANCE_ROOT}/index.html`, subPath: 'index.html', readOnly: true },
            { name: 'config', mountPath: `${MAINTENANCE_ROOT}/error.json`, subPath: 'error.json', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
          readinessProbe: httpProbe('/healthz', MAINTENANCE_PROBE_PORT, { periodSeconds: 5 }),
          livenessProbe: httpProbe('/healthz', MAINTENANCE_PROBE_PORT, { periodSeconds: 20 }),
        }],
      }),
    });
    this.deployment = result.deployment;
    this.service = clusterService(this, name, identity, MAINTENANCE_PORT, 'http');
  }
}
