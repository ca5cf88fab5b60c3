/**
 * The library's entry points: lib/index (the public API) and lib/notebook (plus the notebooks'
 * output helpers) load no tfjs and no danfo; lib/autodiff does load tfjs (which also shows that
 * the check below sees a loaded tfjs).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

/** The modules a fresh Node process has loaded after requiring `entry`. */
function modulesLoadedBy(entry: string): string[] {
  const code = `require(${JSON.stringify(path.join(root, entry))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

const heavy = (modules: string[]) => modules.filter((m) => /[\\/]node_modules[\\/](@tensorflow|danfojs)/.test(m));

test('lib/index and lib/notebook load neither tfjs nor danfo', () => {
  for (const entry of ['lib/index.ts', 'lib/notebook.ts']) {
    const modules = modulesLoadedBy(entry);
    assert.ok(modules.some((m) => m.endsWith(path.join('lib', 'model', 'fastMlp.ts'))), `${entry} loads the library`);
    assert.deepEqual(heavy(modules), [], `${entry} loads no tfjs or danfo`);
  }
});

test('lib/autodiff loads tfjs', () => {
  assert.ok(heavy(modulesLoadedBy('lib/autodiff.ts')).some((m) => m.includes('@tensorflow')));
});
