/** The benchmark command runs and prints its tables (no timing is asserted: see README). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('npm run bench -- --quick prints the per-task table and the recipe table', () => {
  const root = path.join(__dirname, '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'bench.ts'), '--quick'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const algo of ['maml', 'fomaml', 'transfer']) assert.match(r.stdout, new RegExp(`^\\| ${algo} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\|`, 'm'));
  assert.match(r.stdout, /^\| 1 \(main thread\) \| 1 \| \d+\.\d s \|.* \d+ MB \| 0 \|$/m);
  assert.match(r.stdout, /^\| 2 \(worker threads\) \| 1 \| \d+\.\d s \|.* \d+ MB \| 0 \|$/m);
  assert.match(r.stdout, /peak RSS of this benchmark process .*: \d+ MB/);
  assert.match(r.stdout, /tfjs tensors allocated at the end: 0/);
});
