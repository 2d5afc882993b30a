/**
 * The whole server from one config file: MastodonChart composes every construct from the resolved
 * config, so the rules (memory floors, queue layout, connection budget, placement) are checked
 * before anything is built.
 */
import { App } from 'cdk8s';
import { loadConfigFile, MastodonChart } from 'cdk8s-mastodon';

const r = loadConfigFile('config/example.yaml'); // never throws: { ok, config } or { ok: false, errors }
if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
const app = new App();
new MastodonChart(app, 'mastodon', { config: r.config });
app.synth();
