/**
 * jest's own runtime (jest-runtime 30.5.2, pinned), with one change: each module is compiled with
 * `vm.Script` instead of `vm.compileFunction`. jest.config.js names this file as `runtime`.
 *
 * Why: jest gives every test file a fresh module registry in a fresh V8 context, so each of the
 * ≈ 300 modules the library needs (cdk8s-plus-28's generated k8s.js alone is 2.6 MB, zod, yaml,
 * ajv, lib/, imports/) is compiled again for every test file. `compileFunction` never hits V8's
 * in-isolate compilation cache; a `vm.Script` of the same source does, and shares the compiled
 * functions (bytecode included) with every later context in the worker. Measured with
 * `node --cpu-prof node_modules/.bin/jest -i` (31 files): 6.9 s of the run's 55.8 s was
 * `internalCompileFunction`; with this runtime a repeat compile of k8s.js in a fresh context takes
 * 0.1–4 ms (two measurements; the dynamic-import callback costs some) instead of 23–29 ms.
 *
 * What stays as jest does it (read in node_modules/jest-runtime/build/index.js, ModuleExecutor
 * and Runtime): module registries, mocks, the transform and its cache, the order and names of
 * the injected parameters (`injectedModuleParameters`: module, exports, require, __dirname,
 * __filename, jest, then sandboxInjectedGlobals), the context the code runs in (the test
 * environment's, as `parsingContext` gave it), dynamic `import()` (the same callback jest
 * passes), and the syntax-error reporting. Each test file still gets its own module instances:
 * only compiled code is shared, never state. The wrapper adds no line, so line numbers in stack
 * traces are the file's own (columns on line 1 shift by the wrapper's length, as they did in
 * jest ≤ 26, which compiled modules the same way).
 *
 * Left to jest's own compile: coverage with the v8 provider (@jest/reporters maps V8's ranges
 * with `v8toIstanbul(url, 0, …)`, assuming no wrapper, so wrapped code would report wrong
 * numbers; test/integration/jest-runtime-coverage.itest.ts), and any source the wrapper cannot
 * compile (a hashbang line, a syntax error), so jest reports the error itself.
 * One difference remains: a malformed module that closes the wrapper early (`}}); …`) compiles
 * here where compileFunction would refuse it. Such text is not valid CommonJS and tools do not
 * emit it; the module's code runs when it is required either way, so nothing new can run.
 *
 * If a jest upgrade moves `compile` this file fails loudly rather than silently losing the
 * speed-up (test/jest-runtime.test.ts checks that the tests run through it).
 */
'use strict';
const vm = require('vm');
const Runtime = require('jest-runtime').default;

const WRAPPER_KEY = 'Object.<anonymous>';
/**
 * A count of the modules compiled here, kept on the test environment's global object, so a test
 * can see that this runtime is the one in use (test/jest-runtime.test.ts).
 */
const STATS = Symbol.for('cdk8s-mastodon.jest-runtime');

/**
 * `executor.compile` as jest 30.5.2 has it, with `vm.Script` in place of `vm.compileFunction`.
 * Returns null once the environment is torn down, as jest's does.
 */
function compileWithScript(executor, original, scriptSource, filename) {
  const vmContext = executor.environment.getVmContext();
  if (vmContext == null) return null;
  const scriptFilename = executor.resolution.isCoreModule(filename) ? `jest-nodejs-core-${filename}` : filename;
  const params = executor.injectedModuleParameters.join(',');
  let script;
  try {
    script = new vm.Script(`({${JSON.stringify(WRAPPER_KEY)}:function(${params}){${scriptSource}\n}});`, {
      filename: scriptFilename,
      importModuleDynamically: (specifier, _script, importAttributes, ...rest) =>
        executor.dynamicImport(specifier, scriptFilename, vmContext, importAttributes, rest[0]),
    });
  } catch {
    // A syntax error: let jest's own compile produce its error (same message, same ESM hint).
    return original(scriptSource, filename);
  }
  const fn = script.runInContext(vmContext)[WRAPPER_KEY];
  const global = executor.environment.global;
  if (global) (global[STATS] ??= { compiled: 0 }).compiled += 1;
  return fn;
}

class ScriptCachingRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    // Runtime(config, environment, resolver, transformer, cacheFS, coverageOptions, testPath, globalConfig)
    const coverageOptions = args[5];
    if (coverageOptions?.collectCoverage && coverageOptions.coverageProvider === 'v8') return;
    const executor = this.executor;
    if (!executor || typeof executor.compile !== 'function' || !Array.isArray(executor.injectedModuleParameters)
      || typeof executor.dynamicImport !== 'function') {
      throw new Error('test/support/jest-runtime.js: jest-runtime no longer has executor.compile (written for 30.5.2); update or remove the file and its `runtime` line in jest.config.js');
    }
    const original = executor.compile.bind(executor);
    executor.compile = (scriptSource, filename) => compileWithScript(executor, original, scriptSource, filename);
  }
}

module.exports = ScriptCachingRuntime;
