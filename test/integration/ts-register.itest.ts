/**
 * scripts/ts-register.js with the TypeScript fallback compiler (what a server repository made by
 * `cdk8s-mastodon init` uses: it has typescript but not @swc/core) never serves stale
 * JavaScript. Moved here from test/synth-fast.test.ts, which runs the same cases with @swc/core:
 * each run here loads the TypeScript compiler.
 */
import * as fs from 'fs';
import { describeStaleCacheCases } from '../support/ts-register-cases';
import { scratchDir } from './support/servers';

let tmp: string;
beforeAll(() => { tmp = scratchDir('ts-register'); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describeStaleCacheCases('typescript', () => tmp);
