import * as fc from 'fast-check';
import { stringifyManifests, manifestYamlStats } from './lib/tools/manifest-yaml';
const d = fc.sample(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.dictionary(fc.string(), fc.string())), { maxKeys: 3 }), { numRuns: 200, seed: 1 });
for (const x of d) { const b = manifestYamlStats.fallbacks; stringifyManifests([x]); if (manifestYamlStats.fallbacks > b) { console.log(x, Object.getPrototypeOf(x), Object.getOwnPropertySymbols(x)); break; } }
