/**
 * A private CA and a server certificate made the way CloudNativePG makes them for a Cluster,
 * with openssl. Verified in cloudnative-pg/cloudnative-pg:
 * - internal/controller/cluster_pki.go ensureServerLeafCertificate: the `<cluster>-server`
 *   Secret, common name = the `-rw` Service, DNS names = Cluster.GetClusterAltDNSNames();
 * - api/v1/cluster_funcs.go GetClusterAltDNSNames: for each of the `-rw`, `-r` and `-ro`
 *   Services name, name.ns, name.ns.svc, name.ns.svc.cluster.local, then
 *   spec.certificates.serverAltDNSNames;
 * - the CA is `<cluster>-ca` (key ca.crt); keys are ECDSA P-256 (pkg/certs/certs.go).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Manifest } from '../../../lib';
import { isRoot, userIds } from './programs';
import { runOk } from './servers';

/** The DNS names CNPG puts in the server certificate of this rendered Cluster. */
export function cnpgServerDnsNames(cluster: Manifest, clusterDomain = 'cluster.local'): string[] {
  const ns = cluster.metadata.namespace ?? 'default';
  const forms = (svc: string) => [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.${clusterDomain}`];
  const name = cluster.metadata.name;
  return [...forms(`${name}-rw`), ...forms(`${name}-r`), ...forms(`${name}-ro`), ...(cluster.spec.certificates?.serverAltDNSNames ?? [])];
}

export interface Pki {
  readonly caCert: string;
  readonly caKey: string;
  /** Makes a server certificate for these names; returns its cert and key files. */
  server(name: string, commonName: string, dnsNames: readonly string[]): { cert: string; key: string; pem: string };
}

/** A CA in `dir`; key files readable by `owner` (Postgres and PgBouncer refuse keys others can read). */
export function makeCa(dir: string, caName: string, owner?: string): Pki {
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.crt');
  runOk('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  runOk('openssl', ['req', '-x509', '-new', '-key', caKey, '-subj', `/OU=${caName}/CN=${caName}`, '-days', '90',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert]);
  const chown = (f: string) => {
    fs.chmodSync(f, 0o600);
    if (owner && isRoot()) { const { uid, gid } = userIds(owner); fs.chownSync(f, uid, gid); }
  };
  return {
    caCert,
    caKey,
    server(name, commonName, dnsNames) {
      const key = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const cert = path.join(dir, `${name}.crt`);
      const ext = path.join(dir, `${name}.ext`);
      fs.writeFileSync(ext, [
        `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(',')}`,
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
      ].join('\n'));
      runOk('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
      runOk('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${commonName}`, '-out', csr]);
      runOk('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '90', '-extfile', ext, '-out', cert]);
      chown(key);
      if (owner && isRoot()) { const { uid, gid } = userIds(owner); fs.chownSync(cert, uid, gid); }
      return { cert, key, pem: fs.readFileSync(cert, 'utf8') };
    },
  };
}
