// The API reference of the package's entry point (lib/index.ts), as markdown in docs/api/
// (npm run docs:api). test/integration/api-docs.itest.ts fails when docs/api/ is stale.
const { OptionDefaults } = require('typedoc');

/** @type {Partial<import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions>} */
module.exports = {
  entryPoints: ['lib/index.ts'],
  tsconfig: 'tsconfig.typedoc.json',
  out: 'docs/api',
  plugin: ['typedoc-plugin-markdown'],
  readme: 'none',
  // No links to source lines: they would name a commit and change with every one.
  disableSources: true,
  excludePrivate: true,
  excludeProtected: true,
  excludeExternals: true,
  hideGenerator: true,
  // cdk8s import's @schema tag (imports/) and json-schema-to-typescript's @minItems (lib/model).
  blockTags: [...OptionDefaults.blockTags, '@schema', '@minItems'],
  // The generated CRD classes of imports/ that construct handles return: documented by their CRDs.
  intentionallyNotExported: [
    'Application', 'AppProject', 'Cluster', 'ObjectStore', 'PodMonitor', 'Pooler', 'PrometheusRule',
    'ScaledObject', 'ScheduledBackup', 'TriggerAuthentication',
  ],
  // A name the public API uses but does not export, or a broken link, fails the build.
  treatWarningsAsErrors: true,
};
