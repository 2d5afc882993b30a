/**
 * The auth values config/omniauth.yml can carry, checked against Ruby's own YAML parser (Psych,
 * Debian's ruby). Mastodon (mastodon/mastodon config/omniauth.yml, read by Rails' config_for:
 * ERB, then YAML) pastes each OIDC_* and SAML_* value unquoted after `key: `, some lines with a
 * trailing `# OPTIONAL` comment, the scopes as `- !ruby/symbol <value>`, and the SAML attribute
 * names as a Ruby array (`<%= [value] %>`). For every sample, a value the rule accepts must come
 * back unchanged in its line shape, and a value it refuses must not.
 */
import * as fs from 'fs';
import * as path from 'path';
import { omniauthValueProblem } from '../../lib/rules/mastodon-settings';
import { runOk, scratchDir } from './support/servers';

/** One line of each shape omniauth.yml uses, rendered by ERB and read back by Psych (unsafe_load, as config_for does). */
const PSYCH = `
require 'erb'; require 'yaml'; require 'json'
shapes = {
  'plain' => "x:\\n  v: <%= v %>\\n",
  'comment' => "x:\\n  v: <%= v %> # OPTIONAL\\n",
  'symbol' => "x:\\n  v:\\n    - !ruby/symbol <%= v %>\\n",
  'array' => "x:\\n  v: <%= [v] %>\\n",
}
out = JSON.parse(File.read(ARGV[0])).map do |v|
  shapes.to_h do |name, t|
    got = begin
      r = YAML.unsafe_load(ERB.new(t).result_with_hash(v: v))['x']['v']
      r = r.first if name == 'symbol' || name == 'array'
      r.is_a?(Symbol) ? r.to_s : r
    rescue Exception
      :error
    end
    [name, got == v]
  end
end
puts JSON.generate(out)
`;

const SAMPLES = [
  // Accepted.
  'Company login', 'Université', 'mastodon', 'https://id.example.com/realms/main', 'https://id.example.com/a#frag',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'preferred_username', 'openid', 'AB:CD:EF:01',
  'MIIBszCCAVmgAwIBAgIUQ+/=', '-----BEGIN CERTIFICATE-----MIIBszCCAVmg-----END CERTIFICATE-----', 'a#b', 'v4.2', '-x', 'x-1',
  // Refused.
  'Login: company', 'x:', 'Staff #1', '#1', 'a\nb', ' x', 'x ', '*x', '&x', '!x', '|x', '>x', '%x', '@x', '`x', '"x', "'x", '[x', '{x', ',x',
  '- x', '? x', ': x', 'yes', 'No', 'on', 'true', 'null', '~', '12', '1.5', '0x1F', '12:34:56', '2024-01-01', '.inf',
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmg\n-----END CERTIFICATE-----\n',
];
const QUOTED_SAMPLES = ['email', 'urn:oid:0.9.2342.19200300.100.1.3', 'a: b #c', 'a#b', 'mail#{x}', 'a#$b', 'a#@b'];

let read: Record<string, boolean>[];
let quoted: Record<string, boolean>[];
beforeAll(() => {
  const dir = scratchDir('omniauth-yaml');
  fs.writeFileSync(path.join(dir, 'psych.rb'), PSYCH);
  const ask = (values: string[]) => {
    fs.writeFileSync(path.join(dir, 'values.json'), JSON.stringify(values));
    return JSON.parse(runOk('ruby', [path.join(dir, 'psych.rb'), path.join(dir, 'values.json')], { timeoutMs: 30_000 })) as Record<string, boolean>[];
  };
  read = ask(SAMPLES);
  quoted = ask(QUOTED_SAMPLES);
});

test('an unquoted value is accepted exactly when Psych reads it back unchanged, with or without the trailing comment', () => {
  const verdicts = SAMPLES.map((v, i) => [v, omniauthValueProblem(v) === undefined, read[i].plain && read[i].comment]);
  expect(verdicts.filter(([, ours, psych]) => ours !== psych)).toEqual([]);
  // Both kinds are present, so the comparison says something.
  expect(verdicts.filter(([, ours]) => ours).length).toBeGreaterThan(10);
  expect(verdicts.filter(([, ours]) => !ours).length).toBeGreaterThan(20);
});

test('an accepted scope or claim name also survives as a !ruby/symbol entry', () => {
  for (const [i, v] of SAMPLES.entries()) if (omniauthValueProblem(v) === undefined) expect([v, read[i].symbol]).toEqual([v, true]);
});

test('a certificate: the one-line forms are accepted; a multi-line PEM is refused, saying what to paste', () => {
  expect(omniauthValueProblem('MIIBszCCAVmgAwIBAgIUQ+/=', 'cert')).toBeUndefined();
  expect(omniauthValueProblem(SAMPLES[SAMPLES.length - 1], 'cert')).toMatch(/base64 text between the BEGIN and END lines/);
  expect(read[SAMPLES.length - 1].plain).toBe(false);
});

test('a SAML attribute name (a Ruby array) is refused exactly when Psych cannot read it back', () => {
  const verdicts = QUOTED_SAMPLES.map((v, i) => [v, omniauthValueProblem(v, 'quoted') === undefined, quoted[i].array]);
  expect(verdicts.filter(([, ours, psych]) => ours !== psych)).toEqual([]);
});
