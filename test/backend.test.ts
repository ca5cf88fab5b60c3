/** Backend choice, each in a fresh process (the choice is made once per process). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
function choose(env: Record<string, string>) {
  const code = "require('./lib/tfjs/backend').initBackend().then((b) => console.log('chosen=' + b), (e) => { console.log('error=' + e.message); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Whether the native binding really is installed (here it is not: its install needs a download). */
const native = spawnSync(process.execPath, ['-e', "try { require('@tensorflow/tfjs-node'); } catch {} console.log(!!require('@tensorflow/tfjs').findBackendFactory('tensorflow'))"], { cwd: root, encoding: 'utf8' }).stdout.trim() === 'true';

test('the best available backend is chosen and printed once', () => {
  const r = choose({ MAML_BACKEND: '' });
  assert.match(r.stdout, native ? /chosen=tensorflow/ : /chosen=wasm/);
  assert.equal(r.stderr.match(/tfjs backend: /g)?.length, 1);
});

test('MAML_BACKEND forces a backend, and rejects what is unknown or missing', () => {
  assert.match(choose({ MAML_BACKEND: 'cpu' }).stdout, /chosen=cpu/);
  assert.match(choose({ MAML_BACKEND: 'cpu' }).stderr, /tfjs backend: cpu \(forced by MAML_BACKEND\)/);
  assert.match(choose({ MAML_BACKEND: 'gpu' }).stdout, /error=MAML_BACKEND = "gpu" is invalid: expected one of tensorflow, wasm, cpu/);
  // without the native binding, a successful require of the aliased package must not count
  if (!native) assert.match(choose({ MAML_BACKEND: 'tensorflow' }).stdout, /error=MAML_BACKEND=tensorflow was requested but the tensorflow backend cannot be loaded here/);
});
