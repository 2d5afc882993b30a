import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MaintenanceConfig } from './config/schema';
import { Identity, selectorLabels } from './conventions/labels';
import { resourceName } from './conventions/names';
import { placement } from './conventions/placement';
import { httpProbe } from './conventions/probes';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { clusterService, containerResources, deploymentWithBudget, objectMeta } from './conventions/workload';
import { imageRef, ImageSpec } from './rules/images';
import { MAINTENANCE_PORT } from './rules/services';

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

/** nginx answering 503 with Retry-After and the page for every path; /healthz for the probes. */
export function maintenanceNginxConf(m: MaintenanceConfig): string {
  return `worker_processes 1;
pid /tmp/nginx.pid;
error_log /dev/stderr warn;
events { worker_connections 512; }
http {
  access_log /dev/stdout;
  server_tokens off;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  server {
    listen ${MAINTENANCE_PORT};
    root /usr/share/nginx/maintenance;
    error_page 503 /index.html;
    location = /healthz { access_log off; default_type text/plain; return 200 "ok\\n"; }
    location = /index.html {
      internal;
      default_type text/html;
      add_header Retry-After "${m.retryAfterSeconds}" always;
      add_header Cache-Control "no-store" always;
    }
    location / { return 503; }
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
    const data = { 'nginx.conf': maintenanceNginxConf(props.maintenance), 'index.html': maintenanceHtml(props.maintenance) };
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
          ports: [{ name: 'http', containerPort: MAINTENANCE_PORT, protocol: 'TCP' }],
          resources: containerResources({ requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } }),
          securityContext: containerSecurityContext(NGINX_UID),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
            { name: 'config', mountPath: '/usr/share/nginx/maintenance/index.html', subPath: 'index.html', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
          readinessProbe: httpProbe('/healthz', MAINTENANCE_PORT, { periodSeconds: 5 }),
          livenessProbe: httpProbe('/healthz', MAINTENANCE_PORT, { periodSeconds: 20 }),
        }],
      }),
    });
    this.deployment = result.deployment;
    this.service = clusterService(this, name, identity, MAINTENANCE_PORT, 'http');
  }
}
