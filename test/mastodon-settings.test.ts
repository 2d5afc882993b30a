/**
 * Issue 25: any Mastodon setting (mastodon.extraEnv), single sign-on (auth) and translation
 * (translation): what reaches the pods, what rolls them, and every kind of refusal.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import type { Manifest } from '../lib/model';
import { MastodonWeb } from '../lib/mastodon-web';
import { MastodonStreaming } from '../lib/mastodon-streaming';
import { NetworkPolicies } from '../lib/network-policies';
import { formatPublicRoutes, formatAuthCallbacks } from '../lib/rules/public-routes';
import { authEnv, SECRET_SETTINGS, MASTODON_SETTINGS, OWNED_SETTINGS, FIXED_SETTINGS, settingNameProblem, translationEnv } from '../lib/rules/mastodon-settings';
import { secretSkeletons } from '../lib/rules/secret-refs';
import { ROOT, errorsOf, exampleRaw, find, messageAt, podMetaOf, podSpecOf, render, resolved, withChange, WORKLOAD_KINDS } from './support/fixtures';
import { environmentChart } from './constructs/mastodon-env';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { resolveConfig } from '../lib/config/resolve';

/** The variables a container sees: its envFrom ConfigMaps, then its own env (which wins). */
function envOf(objects: Manifest[], container: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const from of container.envFrom ?? []) Object.assign(out, find(objects, 'ConfigMap', from.configMapRef.name).data);
  for (const e of container.env ?? []) out[e.name] = e.value ?? e.valueFrom;
  return out;
}

/** Every Mastodon container (web, streaming, Sidekiq, the Jobs and CronJobs of Mastodon's images). */
function mastodonContainers(objects: Manifest[]): { by: string; container: any }[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .flatMap((o) => (podSpecOf(o).containers as any[]).map((container) => ({ by: `${o.kind}/${o.metadata.name}`, container })))
    .filter(({ container }) => /ghcr\.io\/mastodon\/mastodon(-streaming)?:/.test(container.image) && !/exporter/.test(container.name));
}

const withEnv = (extraEnv: Record<string, unknown>) => withChange(exampleRaw(), (c) => { c.mastodon.extraEnv = extraEnv; });
const OIDC = { displayName: 'Company login', issuer: 'https://id.example.com/realms/main', clientId: 'mastodon', clientSecret: { name: 'ocw-oidc', key: 'client-secret' } };
const LDAP = { host: 'ldap.example.com', port: 636, base: 'dc=example,dc=com', bindDn: 'cn=mastodon,dc=example,dc=com', passwordSecret: { name: 'ocw-ldap', key: 'password' } };
const SAML = { issuer: 'https://ocw.social', idpSsoTargetUrl: 'https://idp.example.com/sso', idpCertFingerprint: 'AB:CD' };

describe('mastodon.extraEnv', () => {
  test("AUTHORIZED_FETCH: 'true' reaches web's env and changes the pod template's checksum", () => {
    const before = render();
    const after = render(withEnv({ AUTHORIZED_FETCH: 'true' }));
    const web = (objs: Manifest[]) => find(objs, 'Deployment', 'ocw-web');
    expect(envOf(after, podSpecOf(web(after)).containers[0]).AUTHORIZED_FETCH).toBe('true');
    expect(envOf(before, podSpecOf(web(before)).containers[0]).AUTHORIZED_FETCH).toBeUndefined();
    const sum = (objs: Manifest[]) => podMetaOf(web(objs)).annotations['checksum/env'];
    expect(sum(after)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(after)).not.toBe(sum(before));
  });

  test('a plain value and a Secret reference reach every Mastodon container: web, streaming, Sidekiq, the Jobs and CronJobs', () => {
    const objects = render(withEnv({ LIMITED_FEDERATION_MODE: 'true', HCAPTCHA_SECRET_KEY: { secret: 'ocw-hcaptcha', key: 'secret' } }));
    const all = mastodonContainers(objects);
    const names = all.map((x) => x.by);
    for (const want of ['Deployment/ocw-web', 'Deployment/ocw-streaming', 'Deployment/ocw-sidekiq-default', 'Job/ocw-db-migrate-pre', 'Job/ocw-db-migrate-post', 'CronJob/ocw-media-remove']) {
      expect(names).toContain(want);
    }
    for (const { by, container } of all) {
      const env = envOf(objects, container);
      expect([by, env.LIMITED_FEDERATION_MODE]).toEqual([by, 'true']);
      expect([by, env.HCAPTCHA_SECRET_KEY]).toEqual([by, { secretKeyRef: { name: 'ocw-hcaptcha', key: 'secret' } }]);
    }
  });

  test('a Secret reference is a secretKeyRef, never in the ConfigMap, and is listed for secrets --skeletons', () => {
    const objects = render(withEnv({ HCAPTCHA_SECRET_KEY: { secret: 'ocw-hcaptcha', key: 'secret' } }));
    expect(find(objects, 'ConfigMap', 'ocw-env').data.HCAPTCHA_SECRET_KEY).toBeUndefined();
    expect(secretSkeletons(objects).find((s) => s.name === 'ocw-hcaptcha')?.keys).toEqual(['secret']);
  });

  test('AUTHORIZED_FECTH is refused with did you mean AUTHORIZED_FETCH', () => {
    expect(messageAt(errorsOf(withEnv({ AUTHORIZED_FECTH: 'true' })), 'mastodon.extraEnv.AUTHORIZED_FECTH'))
      .toBe('AUTHORIZED_FECTH is not a setting Mastodon reads; did you mean AUTHORIZED_FETCH?');
  });

  test('a name far from every setting is refused, pointing at the list', () => {
    expect(messageAt(errorsOf(withEnv({ COMPLETELY_MADE_UP_THING: 'x' })), 'mastodon.extraEnv.COMPLETELY_MADE_UP_THING'))
      .toMatch(/is not a setting Mastodon reads; use a name from docs\/mastodon-settings\.md/);
  });

  test.each([
    ['LOCAL_DOMAIN', 'domain'],
    ['S3_BUCKET', 'media.s3.bucket'],
    ['DB_HOST', 'database'],
    ['REDIS_URL', 'redis'],
    ['SMTP_PASSWORD', 'smtp.passwordSecret'],
    ['SECRET_KEY_BASE', 'mastodon.secretName'],
    ['WEB_CONCURRENCY', 'web.processes'],
    ['OIDC_CLIENT_ID', 'auth.oidc.clientId'],
    ['LDAP_PASSWORD', 'auth.ldap.passwordSecret'],
    ['DEEPL_API_KEY', 'translation.apiKeySecret (provider: deepl)'],
  ])('%s, which the config sets, is refused naming %s', (name, field) => {
    expect(messageAt(errorsOf(withEnv({ [name]: 'x' })), `mastodon.extraEnv.${name}`)).toBe(`${name} is set from ${field}; set it there instead of in extraEnv`);
  });

  test('a setting the chart fixes is refused with the reason', () => {
    expect(messageAt(errorsOf(withEnv({ RAILS_ENV: 'development' })), 'mastodon.extraEnv.RAILS_ENV')).toMatch(/^RAILS_ENV is set by the chart \(production\) and cannot be changed; remove it$/);
  });

  test('a retired name is refused with its successor', () => {
    expect(messageAt(errorsOf(withEnv({ WHITELIST_MODE: 'true' })), 'mastodon.extraEnv.WHITELIST_MODE')).toBe('WHITELIST_MODE was renamed LIMITED_FEDERATION_MODE; use that name');
    expect(messageAt(errorsOf(withEnv({ STREAMING_CLUSTER_NUM: '2' })), 'mastodon.extraEnv.STREAMING_CLUSTER_NUM')).toMatch(/removed in Mastodon 4\.3/);
  });

  test("an unquoted YAML boolean is refused, saying to quote it; a bad Secret reference names the field", () => {
    const errors = errorsOf(withEnv({ AUTHORIZED_FETCH: true, HCAPTCHA_SECRET_KEY: { secret: 'Not A Name', key: 'k' } }));
    expect(messageAt(errors, 'mastodon.extraEnv.AUTHORIZED_FETCH')).toMatch(/must be a string \(quote it in YAML: 'true', '3'\)/);
    expect(errors.some((e) => e.path.startsWith('mastodon.extraEnv.HCAPTCHA_SECRET_KEY'))).toBe(true);
  });

  test('a secret setting written as a plain value is refused, and nothing of it is rendered', () => {
    expect(messageAt(errorsOf(withEnv({ HCAPTCHA_SECRET_KEY: 'not-a-real-value' })), 'mastodon.extraEnv.HCAPTCHA_SECRET_KEY'))
      .toMatch(/^HCAPTCHA_SECRET_KEY is a secret: store it in a Secret and write \{secret: <name>, key: <key>\} here, never the value/);
    expect(() => environmentChart({ extraEnv: { HCAPTCHA_SECRET_KEY: 'x' } })).toThrow(/extraEnv\.HCAPTCHA_SECRET_KEY: HCAPTCHA_SECRET_KEY is a secret/);
    for (const name of SECRET_SETTINGS) expect([name, MASTODON_SETTINGS.includes(name)]).toEqual([name, true]);
  });

  test.each([
    ['CACHE_REDIS_URL', 'redis://:hunter2@cache:6379/0'],
    ['SIDEKIQ_REDIS_URL', 'redis://default:hunter2@queue:6379/1'],
    ['REPLICA_DATABASE_URL', 'postgresql://mastodon:hunter2@replica:5432/mastodon'],
    ['http_proxy', 'http://user:hunter2@proxy.example:3128'],
    ['http_hidden_proxy', 'http://user:hunter2@tor:8118'],
  ])('%s with a password in the URL is refused, saying to use a Secret reference', (name, value) => {
    expect(messageAt(errorsOf(withEnv({ [name]: value })), `mastodon.extraEnv.${name}`))
      .toMatch(new RegExp(`^${name} holds a password in its URL \\(user:password@\\): .*\\{secret: <name>, key: <key>\\}`));
    expect(() => environmentChart({ extraEnv: { [name]: value } })).toThrow(new RegExp(`extraEnv\\.${name}: ${name} holds a password`));
  });

  test('URLs without a password pass as plain values; with one, as a Secret reference', () => {
    const objects = render(withEnv({ CACHE_REDIS_URL: 'redis://cache:6379/0', http_proxy: 'http://proxy.example:3128', SIDEKIQ_REDIS_URL: { secret: 'ocw-queue', key: 'url' } }));
    const data = find(objects, 'ConfigMap', 'ocw-env').data;
    expect([data.CACHE_REDIS_URL, data.http_proxy, data.SIDEKIQ_REDIS_URL]).toEqual(['redis://cache:6379/0', 'http://proxy.example:3128', undefined]);
  });

  test('OTEL_EXPORTER_OTLP_HEADERS (and the per-signal ones) carry credentials: only as a Secret reference', () => {
    for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
      expect(messageAt(errorsOf(withEnv({ [name]: 'Authorization=Bearer x' })), `mastodon.extraEnv.${name}`)).toMatch(new RegExp(`^${name} is a secret`));
    }
    const objects = render(withEnv({ OTEL_EXPORTER_OTLP_HEADERS: { secret: 'ocw-otel', key: 'headers' } }));
    expect(find(objects, 'ConfigMap', 'ocw-env').data.OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();
  });

  test('the search settings are refused, naming the search field that owns each', () => {
    const errors = errorsOf(withEnv({ ES_HOST: 'es.example', ES_ENABLED: 'true', ES_PASS: { secret: 'es', key: 'password' } }));
    expect(messageAt(errors, 'mastodon.extraEnv.ES_HOST')).toMatch(/search\.host/);
    expect(messageAt(errors, 'mastodon.extraEnv.ES_ENABLED')).toMatch(/search\.mode/);
    expect(messageAt(errors, 'mastodon.extraEnv.ES_PASS')).toMatch(/search\.passwordSecret/);
  });

  test('every problem at once', () => {
    const errors = errorsOf(withEnv({ AUTHORIZED_FECTH: 'true', LOCAL_DOMAIN: 'x', RAILS_ENV: 'x' }));
    expect(errors.filter((e) => e.path.startsWith('mastodon.extraEnv.')).map((e) => e.path).sort())
      .toEqual(['mastodon.extraEnv.AUTHORIZED_FECTH', 'mastodon.extraEnv.LOCAL_DOMAIN', 'mastodon.extraEnv.RAILS_ENV']);
  });

  test('OpenTelemetry SDK variables pass; OTEL_SERVICE_NAME, which Mastodon ignores, is refused', () => {
    expect(settingNameProblem('OTEL_EXPORTER_OTLP_HEADERS')).toBeUndefined();
    expect(settingNameProblem('OTEL_SERVICE_NAME')).toMatch(/OTEL_SERVICE_NAME_PREFIX/);
  });

  test('the catalog: no duplicates, every owned or fixed name is one Mastodon reads', () => {
    expect(new Set(MASTODON_SETTINGS).size).toBe(MASTODON_SETTINGS.length);
    for (const name of [...Object.keys(OWNED_SETTINGS), ...Object.keys(FIXED_SETTINGS)]) expect([name, MASTODON_SETTINGS.includes(name)]).toEqual([name, true]);
  });

  test('MastodonEnvironment alone refuses the same names, naming its prop', () => {
    expect(() => environmentChart({ extraEnv: { AUTHORIZED_FECTH: 'true', S3_BUCKET: 'x' } }))
      .toThrow(/extraEnv\.AUTHORIZED_FECTH: AUTHORIZED_FECTH is not a setting Mastodon reads; did you mean AUTHORIZED_FETCH\?\n\s+extraEnv\.S3_BUCKET: S3_BUCKET is set from media\.s3\.bucket/);
  });

  test('MastodonEnvironment alone: a plain value in the ConfigMap and its checksum, a Secret reference in streaming too', () => {
    const { chart, environment } = environmentChart({ extraEnv: { AUTHORIZED_FETCH: 'true', HCAPTCHA_SECRET_KEY: { secret: 'h', key: 'k' } } });
    new MastodonWeb(chart, 'web', { environment });
    new MastodonStreaming(chart, 'streaming', { environment });
    const objects = Testing.synth(chart);
    expect(find(objects, 'ConfigMap', 'tiny-env').data.AUTHORIZED_FETCH).toBe('true');
    expect(environment.checksum).not.toBe(environmentChart().environment.checksum);
    const streaming = podSpecOf(find(objects, 'Deployment', 'tiny-streaming')).containers[0];
    expect(envOf(objects, streaming).HCAPTCHA_SECRET_KEY).toEqual({ secretKeyRef: { name: 'h', key: 'k' } });
  });
});

describe('auth: single sign-on', () => {
  const withAuth = (auth: unknown, change?: (c: any) => void) => withChange(exampleRaw(), (c) => { c.auth = auth; change?.(c); });

  test('off by default: no OIDC_, SAML_, LDAP_ or OMNIAUTH_ONLY in the ConfigMap', () => {
    const data = find(render(), 'ConfigMap', 'ocw-env').data;
    expect(Object.keys(data).filter((k) => /^(OIDC|SAML|LDAP|OMNIAUTH)_/.test(k))).toEqual([]);
  });

  test('oidc: the settings Mastodon reads, the client secret by reference, the redirect URI on the domain', () => {
    const objects = render(withAuth({ oidc: OIDC }));
    const data = find(objects, 'ConfigMap', 'ocw-env').data;
    expect(data).toMatchObject({
      OMNIAUTH_ONLY: 'false', OIDC_ENABLED: 'true', OIDC_DISPLAY_NAME: 'Company login', OIDC_ISSUER: 'https://id.example.com/realms/main',
      OIDC_DISCOVERY: 'true', OIDC_SCOPE: 'openid,profile,email', OIDC_UID_FIELD: 'sub', OIDC_CLIENT_ID: 'mastodon',
      OIDC_REDIRECT_URI: 'https://ocw.social/auth/auth/openid_connect/callback', OIDC_USE_PKCE: 'false', OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED: 'false',
    });
    expect(data.OIDC_CLIENT_SECRET).toBeUndefined();
    const web = podSpecOf(find(objects, 'Deployment', 'ocw-web')).containers[0];
    expect(envOf(objects, web).OIDC_CLIENT_SECRET).toEqual({ secretKeyRef: { name: 'ocw-oidc', key: 'client-secret' } });
  });

  test('oidc: every option', () => {
    const env = authEnv({ domain: 'example.social', webDomain: 'social.example.social' }, {
      omniauthOnly: true,
      oidc: { ...OIDC, discovery: false, scope: ['openid', 'email'], uidField: 'preferred_username', pkce: true, assumeEmailIsVerified: true,
        endpoints: { authorization: 'https://id/a', token: 'https://id/t', userInfo: 'https://id/u', jwks: 'https://id/j', endSession: 'https://id/e' } },
    });
    expect(env.plain).toMatchObject({
      OMNIAUTH_ONLY: 'true', OIDC_DISCOVERY: 'false', OIDC_SCOPE: 'openid,email', OIDC_UID_FIELD: 'preferred_username', OIDC_USE_PKCE: 'true',
      OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED: 'true', OIDC_AUTH_ENDPOINT: 'https://id/a', OIDC_TOKEN_ENDPOINT: 'https://id/t',
      OIDC_USER_INFO_ENDPOINT: 'https://id/u', OIDC_JWKS_URI: 'https://id/j', OIDC_END_SESSION_ENDPOINT: 'https://id/e',
      // WEB_DOMAIN serves the site, so the callback is there.
      OIDC_REDIRECT_URI: 'https://social.example.social/auth/auth/openid_connect/callback',
    });
  });

  test('saml: the settings, the ACS URL, the private key by reference', () => {
    const env = authEnv({ domain: 'ocw.social' }, {
      saml: { ...SAML, displayName: 'University', idpCert: 'PEM', nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        uidAttribute: 'uid', certificate: 'SPPEM', privateKeySecret: { name: 'ocw-saml', key: 'key.pem' }, wantAssertionsSigned: true,
        wantAssertionsEncrypted: true, assumeEmailIsVerified: true, attributes: { uid: 'urn:oid:0.9.2342.19200300.100.1.1', email: 'mail', fullName: 'cn' } },
    });
    expect(env.plain).toMatchObject({
      OMNIAUTH_ONLY: 'false', SAML_ENABLED: 'true', SAML_DISPLAY_NAME: 'University', SAML_ACS_URL: 'https://ocw.social/auth/auth/saml/callback',
      SAML_ISSUER: 'https://ocw.social', SAML_IDP_SSO_TARGET_URL: 'https://idp.example.com/sso', SAML_IDP_CERT: 'PEM', SAML_IDP_CERT_FINGERPRINT: 'AB:CD',
      SAML_NAME_IDENTIFIER_FORMAT: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', SAML_UID_ATTRIBUTE: 'uid', SAML_CERT: 'SPPEM',
      SAML_SECURITY_WANT_ASSERTION_SIGNED: 'true', SAML_SECURITY_WANT_ASSERTION_ENCRYPTED: 'true', SAML_SECURITY_ASSUME_EMAIL_IS_VERIFIED: 'true',
      SAML_ATTRIBUTES_STATEMENTS_UID: 'urn:oid:0.9.2342.19200300.100.1.1', SAML_ATTRIBUTES_STATEMENTS_EMAIL: 'mail', SAML_ATTRIBUTES_STATEMENTS_FULL_NAME: 'cn',
    });
    expect(env.plain.SAML_PRIVATE_KEY).toBeUndefined();
    expect(env.secrets).toEqual([{ env: 'SAML_PRIVATE_KEY', secretName: 'ocw-saml', key: 'key.pem' }]);
  });

  test("ldap: Mastodon's defaults filled in but the port follows the method (636 for simple_tls), the bind password by reference, and web may reach the server on its port", () => {
    const raw = withAuth({ ldap: { ...LDAP, port: undefined, host: 'openldap.auth' } });
    delete raw.auth.ldap.port;
    const objects = render(raw);
    expect(find(objects, 'ConfigMap', 'ocw-env').data).toMatchObject({
      LDAP_ENABLED: 'true', LDAP_HOST: 'openldap.auth', LDAP_PORT: '636', LDAP_METHOD: 'simple_tls', LDAP_BASE: 'dc=example,dc=com',
      LDAP_BIND_DN: 'cn=mastodon,dc=example,dc=com', LDAP_UID: 'cn', LDAP_MAIL: 'mail', LDAP_TLS_NO_VERIFY: 'false',
    });
    // LDAP is not OmniAuth: no OMNIAUTH_ONLY without oidc or saml.
    expect(find(objects, 'ConfigMap', 'ocw-env').data.OMNIAUTH_ONLY).toBeUndefined();
    const web = podSpecOf(find(objects, 'Deployment', 'ocw-web')).containers[0];
    expect(envOf(objects, web).LDAP_PASSWORD).toEqual({ secretKeyRef: { name: 'ocw-ldap', key: 'password' } });
    const egress = find(objects, 'NetworkPolicy', 'ocw-netpol-web').spec.egress;
    expect(egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'auth' } } }], ports: [{ protocol: 'TCP', port: 636 }] });
    // start_tls and plain speak plain LDAP first: 389.
    const startTls = withAuth({ ldap: { ...LDAP, method: 'start_tls' } });
    delete startTls.auth.ldap.port;
    expect(find(render(startTls), 'ConfigMap', 'ocw-env').data.LDAP_PORT).toBe('389');
  });

  test('ldap: every option', () => {
    const env = authEnv({ domain: 'ocw.social' }, { ldap: { ...LDAP, port: 3389, method: 'start_tls', uid: 'uid', mail: 'email', searchFilter: '(uid=%{email})', tlsNoVerify: true } });
    expect(env.plain).toMatchObject({ LDAP_PORT: '3389', LDAP_METHOD: 'start_tls', LDAP_UID: 'uid', LDAP_MAIL: 'email', LDAP_SEARCH_FILTER: '(uid=%{email})', LDAP_TLS_NO_VERIFY: 'true' });
  });

  test('the OIDC provider in the cluster is reached; a public one is covered by the Internet rule', () => {
    const inCluster = resolved(withAuth({ oidc: { ...OIDC, issuer: 'http://keycloak.auth:8080/realms/main' } }));
    const scope = Testing.chart();
    const p = new NetworkPolicies(scope, 'np', { config: inCluster });
    const egress = Testing.synth(scope).find((o) => o.metadata.name === p.policies.web.name)!.spec.egress;
    expect(egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'auth' } } }], ports: [{ protocol: 'TCP', port: 8080 }] });
    const publicIdp = render(withAuth({ oidc: OIDC }));
    expect(find(publicIdp, 'NetworkPolicy', 'ocw-netpol-web').spec.egress).toEqual(find(render(), 'NetworkPolicy', 'ocw-netpol-web').spec.egress);
  });

  test('routes prints the callback URLs the identity provider needs', () => {
    const c = resolved(withAuth({ oidc: OIDC, saml: SAML }));
    expect(formatAuthCallbacks(c)).toBe([
      'Single sign-on: register these at the identity provider:',
      '  OpenID Connect redirect URI: https://ocw.social/auth/auth/openid_connect/callback',
      '  SAML assertion consumer service (ACS) URL: https://ocw.social/auth/auth/saml/callback',
      '  SAML service provider metadata: https://ocw.social/auth/auth/saml/metadata',
    ].join('\n'));
    expect(formatPublicRoutes(c)).toContain('https://ocw.social/auth/auth/openid_connect/callback');
    expect(formatAuthCallbacks(resolved())).toBe('');
  });

  test('MastodonEnvironment alone refuses the same auth props, naming them', () => {
    expect(() => environmentChart({ auth: { omniauthOnly: true, ldap: LDAP } })).toThrow(/auth\.omniauthOnly: needs oidc or saml/);
    expect(() => environmentChart({ auth: { saml: { ...SAML, idpCertFingerprint: undefined, wantAssertionsEncrypted: true } } }))
      .toThrow(/auth\.saml\.idpCert: is required[\s\S]*auth\.saml\.wantAssertionsEncrypted: needs certificate/);
    expect(() => environmentChart({ auth: { oidc: { ...OIDC, scope: ['email'], discovery: false } } }))
      .toThrow(/auth\.oidc\.scope: must include 'openid'[\s\S]*auth\.oidc\.endpoints: is required when discovery is false/);
  });

  describe('refusals, each naming the field', () => {
    test.each<[string, unknown, string, RegExp]>([
      ['omniauthOnly without oidc or saml', { omniauthOnly: true, ldap: LDAP }, 'auth.omniauthOnly', /needs oidc or saml: with omniauthOnly and no such provider nobody can sign in/],
      ['a scope without openid', { oidc: { ...OIDC, scope: ['profile'] } }, 'auth.oidc.scope', /must include 'openid'/],
      ['a scope with a comma', { oidc: { ...OIDC, scope: ['openid,profile'] } }, 'auth.oidc.scope[0]', /must be one scope name/],
      ['discovery off without endpoints', { oidc: { ...OIDC, discovery: false } }, 'auth.oidc.endpoints', /is required when discovery is false/],
      ['an issuer that is not a URL', { oidc: { ...OIDC, issuer: 'id.example.com' } }, 'auth.oidc.issuer', /must be a URL such as https:\/\//],
      ['a client secret pasted as a value', { oidc: { ...OIDC, clientSecret: 'hunter2' } }, 'auth.oidc.clientSecret', /must be a Secret reference \{name, key\}/],
      ['oidc without clientId', { oidc: { ...OIDC, clientId: undefined } }, 'auth.oidc.clientId', /./],
      ['saml without the IdP certificate', { saml: { ...SAML, idpCertFingerprint: undefined } }, 'auth.saml.idpCert', /is required \(or idpCertFingerprint\)/],
      ['saml encryption without a key', { saml: { ...SAML, wantAssertionsEncrypted: true } }, 'auth.saml.wantAssertionsEncrypted', /needs certificate and privateKeySecret/],
      ['an LDAP method Mastodon does not know', { ldap: { ...LDAP, method: 'ldaps' } }, 'auth.ldap.method', /use one of 'simple_tls', 'start_tls', 'plain'/],
      ['an LDAP port out of range', { ldap: { ...LDAP, port: 70000 } }, 'auth.ldap.port', /./],
      ['simple_tls (LDAPS) on the plain LDAP port', { ldap: { ...LDAP, port: 389, method: 'simple_tls' } }, 'auth.ldap.port', /389 is the plain LDAP port, but simple_tls .* set port: 636 or method: start_tls/],
      ['start_tls on the LDAPS port', { ldap: { ...LDAP, port: 636, method: 'start_tls' } }, 'auth.ldap.port', /636 is the LDAPS port, but start_tls .* set port: 389 or method: simple_tls/],
      ['an unknown key', { oidc: { ...OIDC, clientSecrte: 'x' } }, 'auth.oidc.clientSecrte', /did you mean 'clientSecret'/],
    ])('%s', (_what, auth, path, message) => {
      const raw = withAuth(JSON.parse(JSON.stringify(auth)));
      expect(messageAt(errorsOf(raw), path)).toMatch(message);
    });
  });

  // config/omniauth.yml pastes these unquoted after `key: ` and reads the result as YAML; the
  // integration test omniauth-yaml.itest.ts checks the rule against Ruby's Psych.
  describe('values config/omniauth.yml cannot carry, one field each', () => {
    const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n';
    test.each<[string, unknown, string, RegExp]>([
      ['oidc.displayName with ": "', { oidc: { ...OIDC, displayName: 'Login: company' } }, 'auth.oidc.displayName', /contains ': '.*config\/omniauth\.yml/],
      ['oidc.displayName starting with #', { oidc: { ...OIDC, displayName: '#1 login' } }, 'auth.oidc.displayName', /starts with '#'/],
      ['oidc.displayName with " #"', { oidc: { ...OIDC, displayName: 'Staff #1' } }, 'auth.oidc.displayName', /contains ' #'/],
      ['oidc.displayName that YAML reads as a boolean', { oidc: { ...OIDC, displayName: 'yes' } }, 'auth.oidc.displayName', /boolean, number/],
      ['oidc.issuer with " #"', { oidc: { ...OIDC, issuer: 'https://id.example.com/a #b' } }, 'auth.oidc.issuer', /./],
      ['an oidc endpoint with " #"', { oidc: { ...OIDC, discovery: false, endpoints: { authorization: 'https://id/a #b', token: 'https://id/t', userInfo: 'https://id/u', jwks: 'https://id/j' } } }, 'auth.oidc.endpoints.authorization', /./],
      ['saml.idpSsoTargetUrl with " #"', { saml: { ...SAML, idpSsoTargetUrl: 'https://idp.example.com/sso #x' } }, 'auth.saml.idpSsoTargetUrl', /./],
      ['oidc.clientId with a line break', { oidc: { ...OIDC, clientId: 'a\nb' } }, 'auth.oidc.clientId', /contains a line break.*one line/],
      ['oidc.clientId starting with *', { oidc: { ...OIDC, clientId: '*client' } }, 'auth.oidc.clientId', /starts with '\*'/],
      ['oidc.uidField starting with &', { oidc: { ...OIDC, uidField: '&sub' } }, 'auth.oidc.uidField', /starts with '&'/],
      ['oidc.scope entry starting with !', { oidc: { ...OIDC, scope: ['openid', '!email'] } }, 'auth.oidc.scope[1]', /starts with '!'/],
      ['saml.displayName with ": "', { saml: { ...SAML, displayName: 'Uni: staff' } }, 'auth.saml.displayName', /contains ': '/],
      ['saml.issuer ending with a space', { saml: { ...SAML, issuer: 'mastodon ' } }, 'auth.saml.issuer', /starts or ends with a space/],
      ['saml.idpCert as a multi-line PEM', { saml: { ...SAML, idpCert: PEM } }, 'auth.saml.idpCert', /line break.*base64 text between the BEGIN and END lines/],
      ['saml.idpCertFingerprint that YAML reads as a number', { saml: { ...SAML, idpCertFingerprint: '12:34:56' } }, 'auth.saml.idpCertFingerprint', /boolean, number/],
      ['saml.nameIdentifierFormat with " #"', { saml: { ...SAML, nameIdentifierFormat: 'urn:x #y' } }, 'auth.saml.nameIdentifierFormat', /contains ' #'/],
      ['saml.uidAttribute starting with @', { saml: { ...SAML, uidAttribute: '@uid' } }, 'auth.saml.uidAttribute', /starts with '@'/],
      ['saml.certificate as a multi-line PEM', { saml: { ...SAML, certificate: PEM } }, 'auth.saml.certificate', /line break.*base64 text/],
      ['a saml attribute with #{', { saml: { ...SAML, attributes: { email: 'mail#{x}' } } }, 'auth.saml.attributes.email', /contains '#\{'/],
    ])('%s', (_what, auth, path, message) => {
      expect(messageAt(errorsOf(withAuth(JSON.parse(JSON.stringify(auth)))), path)).toMatch(message);
    });

    test('a one-line certificate, with or without its BEGIN and END markers, passes', () => {
      const ok = withAuth({
        oidc: { ...OIDC, endpoints: undefined },
        saml: { ...SAML, idpCert: 'MIIBszCCAVmgAwIBAgIUQ+/=', certificate: '-----BEGIN CERTIFICATE-----MIIBszCCAVmg-----END CERTIFICATE-----',
          nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', attributes: { email: 'urn:oid:0.9.2342.19200300.100.1.3' } },
      });
      expect(resolveConfig(ok).ok).toBe(true);
    });

    test('MastodonEnvironment alone refuses them too', () => {
      expect(() => environmentChart({ auth: { oidc: { ...OIDC, displayName: 'Login: company' } } })).toThrow(/auth\.oidc\.displayName: contains ': '/);
    });
  });
});

describe('translation', () => {
  const withTranslation = (t: unknown) => withChange(exampleRaw(), (c) => { c.translation = t; });

  test('off by default', () => {
    const data = find(render(), 'ConfigMap', 'ocw-env').data;
    expect(Object.keys(data).filter((k) => /^(DEEPL|LIBRE_TRANSLATE)_/.test(k))).toEqual([]);
  });

  test('deepl: DEEPL_PLAN free by default, the key by reference on web and Sidekiq', () => {
    const objects = render(withTranslation({ provider: 'deepl', apiKeySecret: { name: 'ocw-deepl', key: 'api-key' } }));
    expect(find(objects, 'ConfigMap', 'ocw-env').data.DEEPL_PLAN).toBe('free');
    for (const name of ['ocw-web', 'ocw-sidekiq-default']) {
      const c = podSpecOf(find(objects, 'Deployment', name)).containers[0];
      expect(envOf(objects, c).DEEPL_API_KEY).toEqual({ secretKeyRef: { name: 'ocw-deepl', key: 'api-key' } });
    }
    expect(translationEnv({ provider: 'deepl', plan: 'pro', apiKeySecret: { name: 'd', key: 'k' } }).plain).toEqual({ DEEPL_PLAN: 'pro' });
  });

  test('libretranslate: the endpoint, an optional key, and web may reach an in-cluster server', () => {
    const objects = render(withTranslation({ provider: 'libretranslate', endpoint: 'http://libretranslate.tools:5000' }));
    expect(find(objects, 'ConfigMap', 'ocw-env').data.LIBRE_TRANSLATE_ENDPOINT).toBe('http://libretranslate.tools:5000');
    const web = podSpecOf(find(objects, 'Deployment', 'ocw-web')).containers[0];
    expect(envOf(objects, web).LIBRE_TRANSLATE_API_KEY).toBeUndefined();
    expect(find(objects, 'NetworkPolicy', 'ocw-netpol-web').spec.egress)
      .toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } } }], ports: [{ protocol: 'TCP', port: 5000 }] });
    expect(translationEnv({ provider: 'libretranslate', endpoint: 'https://t.example', apiKeySecret: { name: 'l', key: 'k' } }).secrets)
      .toEqual([{ env: 'LIBRE_TRANSLATE_API_KEY', secretName: 'l', key: 'k' }]);
  });

  test.each<[string, unknown, string, RegExp]>([
    ['an unknown provider', { provider: 'google' }, 'translation.provider', /use one of 'deepl', 'libretranslate'/],
    ['deepl without a key', { provider: 'deepl' }, 'translation.apiKeySecret', /./],
    ['a DeepL plan that does not exist', { provider: 'deepl', plan: 'business', apiKeySecret: { name: 'd', key: 'k' } }, 'translation.plan', /use one of 'free', 'pro'/],
    ['a LibreTranslate endpoint that is not a URL', { provider: 'libretranslate', endpoint: 'libretranslate:5000' }, 'translation.endpoint', /must be a URL/],
    ['a pasted API key', { provider: 'deepl', apiKeySecret: 'abc:fx' }, 'translation.apiKeySecret', /must be a Secret reference/],
  ])('refused: %s', (_what, t, path, message) => {
    expect(messageAt(errorsOf(withTranslation(t)), path)).toMatch(message);
  });
});

describe('docs/mastodon-settings.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'mastodon-settings.md'), 'utf8');

  test('lists exactly the names extraEnv accepts', () => {
    const block = /## Every name `extraEnv` accepts[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const listed = block.split(/\s+/).filter(Boolean).sort();
    expect(listed).toEqual(MASTODON_SETTINGS.filter((n) => settingNameProblem(n) === undefined).sort());
  });

  test('names every owned and fixed setting with its field or reason', () => {
    for (const [name, field] of Object.entries(OWNED_SETTINGS)) expect(doc).toContain(`| \`${name}\` | \`${field}\` |`);
    for (const [name, why] of Object.entries(FIXED_SETTINGS)) expect(doc).toContain(`| \`${name}\` | ${why} |`);
  });
});

describe('everything on at once', () => {
  const raw = withChange(exampleRaw(), (c) => {
    c.mastodon.extraEnv = { AUTHORIZED_FETCH: 'true', HCAPTCHA_SECRET_KEY: { secret: 'ocw-hcaptcha', key: 'secret' } };
    c.auth = { omniauthOnly: true, oidc: OIDC, saml: SAML, ldap: LDAP };
    c.translation = { provider: 'libretranslate', endpoint: 'http://libretranslate.tools:5000', apiKeySecret: { name: 'ocw-lt', key: 'api-key' } };
  });
  const objects = render(raw);

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('no variable is set twice in a container', () => {
    for (const { by, container } of mastodonContainers(objects)) {
      const names = (container.env ?? []).map((e: any) => e.name);
      expect([by, names.filter((n: string, i: number) => names.indexOf(n) !== i)]).toEqual([by, []]);
    }
  });
});
