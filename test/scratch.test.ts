/**
 * A test run leaves nothing in the temporary directory: scratchDir's folders go when the process
 * exits, whether its tests passed or failed, and every test takes its folders from scratchDir.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

/** Runs a Node process that makes a scratch folder with a file in it, then exits with `code`. */
function makeAndExit(code: number, env: NodeJS.ProcessEnv = {}): { dir: string; stderr: string } {
  const script = `const { scratchDir } = require(${JSON.stringify(path.join(__dirname, 'scratch.ts'))});
    const fs = require('node:fs');
    const dir = scratchDir('maml-sine-scratch-test-');
    fs.mkdirSync(dir + '/sub');
    fs.writeFileSync(dir + '/sub/file', 'x');
    console.log(dir);
    process.exitCode = ${code};`;
  const env0 = { ...process.env };
  delete env0.MAML_KEEP_TEST_FILES;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...env0, ...env } });
  assert.equal(r.status, code, r.stderr);
  return { dir: r.stdout.trim(), stderr: r.stderr };
}

test('scratch folders are removed at exit, after a pass and after a failure', () => {
  for (const code of [0, 1]) {
    const { dir } = makeAndExit(code);
    assert.match(path.basename(dir), /^maml-sine-scratch-test-/);
    assert.equal(fs.existsSync(dir), false, `exit ${code}: ${dir} is still there`);
  }
});

test('MAML_KEEP_TEST_FILES=1 keeps them and prints where', () => {
  const { dir, stderr } = makeAndExit(1, { MAML_KEEP_TEST_FILES: '1' });
  try {
    assert.equal(fs.readFileSync(path.join(dir, 'sub', 'file'), 'utf8'), 'x');
    assert.match(stderr, new RegExp(`kept ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no test makes a temporary folder any other way', () => {
  const files = ['test', 'test/lab', 'test/jupyter'].flatMap((d) => fs.readdirSync(path.join(root, d))
    .filter((f) => /\.(ts|py)$/.test(f)).map((f) => path.join(d, f)));
  const offenders = files.filter((f) => f !== 'test/scratch.ts' && f !== 'test/scratch.test.ts')
    .filter((f) => /mkdtempSync\(path\.join\(os\.tmpdir\(\)|tempfile\.mkdtemp\((?![^)]*\)\n\s*atexit\.register)/.test(fs.readFileSync(path.join(root, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
