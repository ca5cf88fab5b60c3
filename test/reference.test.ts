/**
 * The PyTorch reference (reference/): its recorded results parse, follow the schema the
 * notebooks and bench/accuracy.ts read, and carry their provenance; when a python with torch is
 * found (reference/python.sh), its code runs a tiny configuration with its own consistency
 * checks, and its textbook MAML meta-gradient equals this project's fast engine in float64.
 * Without torch, those two tests are skipped and say why.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FastMlp } from '../lib/model/fastMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import { makeTaskPool } from '../lib/tasks/sineTask';
import { createMetaGradient } from '../lib/algorithms/maml';

const root = path.join(__dirname, '..');
const script = path.join(root, 'reference', 'python.sh');

/** The python the reference would use, or the reason there is none. */
function torchPython(): { python: string } | { missing: string } {
  const r = spawnSync('bash', [script, '--which'], { encoding: 'utf8' });
  return r.status === 0 ? { python: r.stdout.trim() } : { missing: r.stderr.trim() || `exit ${r.status}` };
}

const isNumberOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

test('reference/results.json parses, follows the schema and has its provenance', () => {
  const data = JSON.parse(fs.readFileSync(path.join(root, 'reference', 'results.json'), 'utf8'));
  const p = data.provenance;
  for (const key of ['command', 'date', 'machine', 'python', 'torch', 'notes']) {
    assert.equal(typeof p[key], 'string', `provenance.${key}`);
    assert.ok(p[key].trim().length > 0, `provenance.${key} is empty`);
  }
  assert.match(p.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(p.threads, 1);
  assert.ok(Array.isArray(p.seeds) && p.seeds.length > 0, 'provenance.seeds');

  const models = ['maml-leak', 'fomaml-leak', 'maml', 'fomaml', 'transfer', 'random'];
  assert.ok(Array.isArray(data.recipe) && data.recipe.length > 0, 'recipe entries');
  for (const e of data.recipe) {
    const what = `recipe ${e.model} lr ${e.evalLr} (${e.k?.length} steps)`;
    assert.ok(models.includes(e.model), what);
    assert.ok(Number.isInteger(e.trainingSeed) && Number.isInteger(e.evalTasks) && Number.isInteger(e.replicas), what);
    assert.ok(e.evalLr > 0 && e.evalTasks >= 1 && e.replicas >= 1, what);
    assert.deepEqual(e.k, Array.from({ length: e.k.length }, (_, i) => i), what);
    for (const key of ['mean', 'ci95', 'median']) {
      assert.equal(e[key].length, e.k.length, `${what}: ${key}`);
      assert.ok(e[key].every(isNumberOrNull), `${what}: ${key}`);
    }
    assert.ok(Number.isInteger(e.diverged) && e.diverged >= 0, what);
    assert.ok(e.trainSeconds === null || e.trainSeconds > 0, what);
    if (e.diverged === 0) assert.ok(e.mean.every((v: number | null) => v !== null && v > 0), `${what}: mean`);
  }
  // every model at k = 0..10 with 1,000 held-out tasks; transfer at both learning rates
  const main = (model: string, lr: number) =>
    data.recipe.find((e: { model: string; evalLr: number; k: number[]; note?: string }) => e.model === model && e.evalLr === lr && e.k.length === 11 && e.note === undefined);
  for (const model of models) assert.ok(main(model, 0.01), `recipe entry for ${model} at lr 0.01, k = 0..10`);
  assert.ok(main('transfer', 0.02), 'recipe entry for transfer at lr 0.02');
  assert.equal(main('maml', 0.01).evalTasks, 1000);

  assert.ok(Array.isArray(data.timing) && data.timing.length === 6, 'timing: 2 codes x 3 algorithms');
  for (const t of data.timing) {
    assert.ok(['original', 'textbook'].includes(t.code) && ['maml', 'fomaml', 'transfer'].includes(t.algo), JSON.stringify(t));
    assert.ok(t.msPerTask > 0 && t.runs >= 5 && t.tasksPerRun >= 1000 && t.statistic === 'median', JSON.stringify(t));
  }

  assert.ok(Array.isArray(data.paper) && data.paper.length > 0, 'paper entries');
  for (const e of data.paper) {
    assert.ok(['maml', 'pretrained'].includes(e.model), e.model);
    assert.ok(Number.isInteger(e.iterations) && e.metaBatch === 25 && [5, 10, 20].includes(e.shots), JSON.stringify(e.steps));
    // the paper's protocol: K random test points; MAML adapts at 0.01, pretrained at the paper's 0.01 (K = 5) / 0.02
    assert.equal(e.testPoints, 'random K');
    assert.equal(e.lr, e.model === 'maml' || e.shots === 5 ? 0.01 : 0.02, JSON.stringify(e));
    for (const key of ['mean', 'ci95', 'median', 'diverged']) assert.equal(e[key].length, e.steps.length, key);
    assert.ok(e.mean.every(isNumberOrNull) && e.diverged.every(Number.isInteger));
  }
  assert.ok(data.paper.some((e: { model: string }) => e.model === 'pretrained'), 'the pretrained baseline');
});

test('the PyTorch reference runs a tiny configuration and passes its own checks', (t) => {
  const found = torchPython();
  if ('missing' in found) {
    console.log(`SKIPPED: the PyTorch reference smoke test: ${found.missing}`);
    t.skip(`torch not importable: ${found.missing}`);
    return;
  }
  const r = spawnSync('bash', [script, 'smoke'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, true, r.stdout);
  // the original's loop body leaves exactly the textbook meta-gradient + the support gradient
  assert.ok(out.checks['maml: original .grad vs textbook+leak (rel)'] < 1e-5, r.stdout);
  assert.ok(out.checks['maml: original .grad vs textbook (rel, must be large)'] > 1e-2, r.stdout);
});

test("PyTorch's textbook meta-gradients equal the fast engine's in float64", (t) => {
  const found = torchPython();
  if ('missing' in found) {
    console.log(`SKIPPED: the PyTorch/fast-engine meta-gradient cross-check: ${found.missing}`);
    t.skip(`torch not importable: ${found.missing}`);
    return;
  }
  const layout = paramLayout();
  const theta = initParams(new Rng(12));
  const rng = new Rng(34);
  const [task] = makeTaskPool(1, rng);
  const data = { support: task.supportSet(), query: task.querySet(rng) };
  // params as nested arrays in PyTorch's shapes: weight [out][in], bias [out]
  const nested = layout.entries.map((e) => {
    const flat = Array.from(theta.subarray(e.offset, e.offset + e.size));
    return e.shape.length === 1 ? flat : Array.from({ length: e.shape[0] }, (_, i) => flat.slice(i * e.shape[1], (i + 1) * e.shape[1]));
  });
  const net = new FastMlp(layout);
  const variants = [[false, false], [true, false], [false, true]] as const; // [firstOrder, leak]
  const requests = variants.map(([firstOrder, leak]) => ({
    params: nested, innerLr: 0.01, firstOrder, leak,
    support: { x: Array.from(data.support.x), y: Array.from(data.support.y) },
    query: { x: Array.from(data.query.x), y: Array.from(data.query.y) },
  }));
  const r = spawnSync('bash', [script, 'gradient'], { cwd: root, input: JSON.stringify(requests), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const answers = JSON.parse(r.stdout) as { metaGradient: unknown[] }[];
  for (const [i, [firstOrder, leak]] of variants.entries()) {
    const torchGrad = new Float64Array(answers[i].metaGradient.flat(2) as number[]);
    const ours = new Float64Array(layout.size);
    createMetaGradient(net, { innerSteps: 1, innerLr: 0.01, firstOrder, seedCompat: leak })(theta, data, ours);
    assert.equal(torchGrad.length, ours.length);
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < ours.length; j++) {
      worst = Math.max(worst, Math.abs(ours[j] - torchGrad[j]));
      scale = Math.max(scale, Math.abs(ours[j]));
    }
    assert.ok(scale > 1e-3, 'a meta-gradient that is not ~0');
    assert.ok(worst <= 1e-10 * scale, `firstOrder=${firstOrder} leak=${leak}: max |fast - torch| = ${worst} (max |grad| ${scale})`);
  }
});

/** `npm run bench -- --quick --no-recipe` with the given environment. */
function quickBench(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'bench.ts'), '--quick', '--no-recipe'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
}

test('npm run bench says plainly when torch is missing and leaves the PyTorch columns out', () => {
  const r = quickBench({ MAML_PYTHON: '/bin/false' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^PyTorch columns: not measured: .*torch is missing/m);
  // fast, wasm and autodiff ms/task, then the PyTorch columns empty
  // the four engines' columns (fast, wasm, wasm-f32, autodiff), then the PyTorch ones empty
  assert.match(r.stdout, /^\| maml \| \d+\.\d{3} \| \d+\.\d{3} \| \d+\.\d{3} \| \d+\.\d{3} \| n\/a \| n\/a \| n\/a \|/m);
});

test("npm run bench times the project's own PyTorch reference when torch is importable", (t) => {
  const found = torchPython();
  if ('missing' in found) {
    console.log(`SKIPPED: the bench's PyTorch columns: ${found.missing}`);
    t.skip(`torch not importable: ${found.missing}`);
    return;
  }
  const r = quickBench({});
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^PyTorch reference: ${found.python}, torch \\S+, one thread`, 'm'));
  for (const algo of ['maml', 'fomaml', 'transfer']) {
    // fast, wasm, autodiff, PyTorch original and textbook ms/task, then PyTorch original / wasm
    assert.match(r.stdout, new RegExp(`^\\| ${algo} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\d{3} \\| \\d+\\.\\dx \\|`, 'm'));
  }
  assert.match(r.stdout, /second order \/ first order per task: original's code \d+\.\d{2}x, textbook code \d+\.\d{2}x/);
});
