/** The benchmark command runs and prints its tables (no timing is asserted: see README). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('npm run bench -- --quick prints the per-task table (wasm-f32 included), the fraction of peak, the recipe tables and the evaluation-precision table', () => {
  const root = path.join(__dirname, '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'bench.ts'), '--quick'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // fast, wasm and wasm-f32 ms/task, then after the autodiff and PyTorch columns the ratios, wasm / wasm-f32 among them
  for (const algo of ['maml', 'fomaml', 'transfer']) assert.match(r.stdout, new RegExp(`^\\| ${algo} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\|(?: [^|]+ \\|){8} \\d+\\.\\d{2}x \\|`, 'm'));
  assert.match(r.stdout, /^\| algorithm \| fast engine ms\/task \| wasm engine ms\/task \| wasm-f32 engine ms\/task \|/m);
  // the fraction-of-peak table: wasm-f32 against the float32 peak
  assert.match(r.stdout, /^\| maml \| 431 \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| \d+\.\d{2} \| \d\.\d{2} \| /m);
  assert.match(r.stdout, /full recipe.*, wasm-f32 engine/);
  assert.match(r.stdout, /^\| 1 \(main thread\) \| 1 \| \d+\.\d s \|.* \d+ MB \| 0 \|$/m);
  assert.match(r.stdout, /^\| 2 \(worker threads\) \| 1 \| \d+\.\d s \|.* \d+ MB \| 0 \|$/m);
  // evaluation in float32 against float64: both engines timed, the fast engine as the reference
  assert.match(r.stdout, /^evaluation precision: the recipe's trained models \(quick scale; models: maml 2, transfer 1\), 200 held-out tasks/m);
  for (const algo of ['maml', 'transfer']) {
    assert.match(r.stdout, new RegExp(`^\\| ${algo} \\| wasm \\| \\d+\\.\\d{4} \\| 1\\.00x \\|`, 'm'));
    assert.match(r.stdout, new RegExp(`^\\| ${algo} \\| wasm-f32 \\| \\d+\\.\\d{4} \\| \\d+\\.\\d{2}x \\|( \\d+\\.\\d{7} \\|){3} \\d+ \\| \\d\\.\\de-\\d+ \\|$`, 'm'));
  }
  assert.match(r.stdout, /peak RSS of this benchmark process .*: \d+ MB/);
  assert.match(r.stdout, /tfjs tensors allocated at the end: 0/);
});
