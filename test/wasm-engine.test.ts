/**
 * The wasm engine (lib/model/wasmMlp.ts, kernels in wasm/mlp.ts) against the fast engine, the
 * readable reference (loss, gradient, Hessian-vector product, every algorithm's meta-gradient,
 * relative error ≤ 1e-10), against float64 finite differences of the independent reference MLP
 * (test/reference.ts), on several layer sizes (odd widths, one, two and three hidden layers, the
 * original's 1-40-40-1) and point counts (1, below, at and above one SIMD width, odd). Also: the
 * generated module is current against its source, and the engine gives the same bits in the
 * main thread and in worker threads.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { WasmMlp } from '../lib/model/wasmMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import { ALGORITHM, ALGORITHMS } from '../lib/algorithms/registry';
import { TaskData } from '../lib/algorithms/types';
import { train } from '../lib/training/train';
import { Adam } from '../lib/optim/adam';
import { evaluateParallel, trainParallel } from '../lib/runtime/parallel';
import { evaluate, EvalOptions } from '../lib/evaluation/evaluate';
import { heldOutTasks } from '../lib/experiment/experiment';
import { KERNELS_F32_WASM_BASE64, KERNELS_SOURCE_SHA256, KERNELS_WASM_BASE64 } from '../lib/model/wasmKernelsGenerated';
import { compileKernels, GENERATED, kernelSourceHash } from '../scripts/build-wasm';
import { refGrad, refMse } from './reference';
import { fdGradient } from './helpers';
import { assertMetaGradientsMatchFast, assertNear, assertPassesMatchFast, metaSgdWithVariedRates, points, randomVector, setup as setupFor } from './wasm-helpers';

const SHAPES = [
  [1, 40, 40, 1],
  [1, 7, 5, 1],
  [1, 6, 4, 3, 1],
  [1, 3, 1],
  [1, 9, 1],
  [1, 1, 1],
];
const POINT_COUNTS = [10, 1, 2, 3, 17];
const setup = (sizes: number[], seed: number) => setupFor(sizes, seed, 'f64');
const TOL = 1e-10;




test('wasm engine: the generated modules (float64 and float32) were built from the current wasm/mlp.ts and preludes (else: npm run build:wasm)', () => {
  assert.equal(KERNELS_SOURCE_SHA256, kernelSourceHash(), `${GENERATED} is stale against wasm/mlp.ts, wasm/real-f64.ts, wasm/real-f32.ts or the compiler: run npm run build:wasm`);
  // and they are what the source compiles to now (asc's output is deterministic)
  assert.equal(compileKernels('f64').toString('base64'), KERNELS_WASM_BASE64, 'the generated float64 bytes differ from a fresh build');
  assert.equal(compileKernels('f32').toString('base64'), KERNELS_F32_WASM_BASE64, 'the generated float32 bytes differ from a fresh build');
  assert.notEqual(KERNELS_F32_WASM_BASE64, KERNELS_WASM_BASE64);
  assert.ok(!fs.readFileSync(GENERATED, 'utf8').includes('\r'));
});

test('wasm engine: predictions, loss, gradient and H·v equal the fast engine (≤ 1e-10), every shape and point count, tapes reused', () => {
  assertPassesMatchFast(SHAPES, POINT_COUNTS, 'f64', TOL);
});

test('wasm engine: gradient and H·v equal finite differences of the reference MLP; a unit exactly at 0 is off (as PyTorch)', () => {
  for (const [k, sizes] of SHAPES.slice(1).entries()) {
    const { rng, layout, theta, wasm } = setup(sizes, 30 + k);
    const x = points(rng, 5);
    const y = points(rng, 5);
    const tape = wasm.tape(5);
    const thetaW = wasm.vector(layout.size);
    thetaW.set(theta);
    const g = wasm.vector(layout.size);
    wasm.setPoints(tape, x, y);
    wasm.lossAndGrad(thetaW, tape, g);
    assertNear(g.array, fdGradient((t) => refMse(t, sizes, x, y), theta), 1e-6, `${sizes}: gradient against finite differences`);
    const v = randomVector(rng, layout.size);
    const vW = wasm.vector(layout.size);
    vW.set(v);
    const hv = wasm.vector(layout.size);
    wasm.hvp(thetaW, vW, tape, hv);
    const h = 1e-5;
    const up = refGrad(theta.map((t, j) => t + h * v[j]), sizes, x, y);
    const down = refGrad(theta.map((t, j) => t - h * v[j]), sizes, x, y);
    assertNear(hv.array, up.map((u, j) => (u - down[j]) / (2 * h)), 1e-6, `${sizes}: H·v against finite differences`);
    // hidden1's unit 0 with bias 0 sits exactly at 0 for x = 0: not differentiable there, so
    // against the reference backpropagation (relu'(0) = 0), not finite differences
    const b1 = layout.entries.find((e) => e.name === 'hidden1.bias')!;
    theta[b1.offset] = 0;
    thetaW.set(theta);
    x[0] = 0;
    wasm.setPoints(tape, x, y);
    wasm.lossAndGrad(thetaW, tape, g);
    assertNear(g.array, refGrad(theta, sizes, x, y), 1e-12, `${sizes}: gradient with a unit at exactly 0`);
  }
});

test('wasm engine: hvp refuses a tape without the gradient of this θ; too many points are refused', () => {
  const { rng, layout, theta, wasm } = setup([1, 7, 5, 1], 50);
  const tape = wasm.tape(4);
  const thetaW = wasm.vector(layout.size);
  const other = wasm.vector(layout.size);
  thetaW.set(theta);
  const out = wasm.vector(layout.size);
  assert.throws(() => wasm.hvp(thetaW, out, tape, out), /the tape holds nothing/);
  wasm.setPoints(tape, points(rng, 4), points(rng, 4));
  wasm.loss(thetaW, tape);
  assert.throws(() => wasm.hvp(thetaW, out, tape, out), /a forward pass only/);
  wasm.lossAndGrad(thetaW, tape, out);
  assert.throws(() => wasm.hvp(other, out, tape, out), /the gradient of another θ/);
  assert.throws(() => wasm.setPoints(tape, points(rng, 5), points(rng, 5)), /5 points exceed the workspace capacity 4/);
  assert.throws(() => wasm.setPoints(tape, points(rng, 3), points(rng, 2)), /2 targets for 3 points/);
});

test('wasm engine: every algorithm\'s meta-gradient and loss equal the fast engine\'s (≤ 1e-10), incl. seedCompat, 2 inner steps, Meta-SGD\'s rates', () => {
  assertMetaGradientsMatchFast(SHAPES, 'f64', TOL);
});

test('wasm engine: MAML\'s meta-gradient equals finite differences of the reference objective', () => {
  for (const [k, sizes] of [[1, 7, 5, 1], [1, 6, 4, 3, 1]].entries()) {
    const { rng, theta, wasm } = setup(sizes, 200 + k);
    const data: TaskData = { support: { x: points(rng, 6), y: points(rng, 6) }, query: { x: points(rng, 9), y: points(rng, 9) } };
    const innerLr = 0.05;
    const objective = (t: Float64Array) => {
      let p = Float64Array.from(t);
      for (let s = 0; s < 2; s++) {
        const g = refGrad(p, sizes, data.support.x, data.support.y);
        p = p.map((value, j) => value - innerLr * g[j]);
      }
      return refMse(p, sizes, data.query.x, data.query.y);
    };
    const out = new Float64Array(theta.length);
    ALGORITHM.maml.wasm(wasm, { innerSteps: 2, innerLr, seedCompat: false }, 9)(theta, data, out);
    assertNear(out, fdGradient(objective, theta), 1e-6, `${sizes}: MAML meta-gradient, 2 inner steps`);
  }
});

test('wasm engine: training follows the fast engine closely, gives the same bits twice and in worker threads', async () => {
  const config = { tasks: 40, epochs: 2, metaBatchSize: 3, replicas: 2, seed: 5 };
  for (const algo of ALGORITHMS) {
    const fast = train({ ...config, algo, engine: 'fast' });
    const wasm = train({ ...config, algo, engine: 'wasm' });
    for (let r = 0; r < 2; r++) assertNear(wasm.replicas[r], fast.replicas[r], 1e-9, `${algo}: replica ${r} after 80 tasks`);
    const again = train({ ...config, algo, engine: 'wasm' });
    assert.deepEqual(again.replicas, wasm.replicas, `${algo}: same bits on a second run`);
  }
  const serial = train({ ...config, algo: 'maml', engine: 'wasm', replicas: 3 });
  const parallel = await trainParallel({ ...config, algo: 'maml', engine: 'wasm', replicas: 3 }, { workers: 2 });
  assert.deepEqual(parallel.replicas, serial.replicas, 'worker threads give the main thread\'s bits');
  assert.deepEqual(parallel.history, serial.history);
});

test('Adam\'s step loop in the wasm kernel gives the TypeScript loop\'s bits, state included (odd length: the scalar tail)', () => {
  const rng = new Rng(9);
  const size = 13;
  const wasm = new WasmMlp(paramLayout([1, 3, 1]));
  const plain = new Adam(size, 0.003);
  const inWasm = new Adam(size, 0.003).useWasm(wasm);
  const a = randomVector(rng, size);
  const b = a.slice();
  for (let step = 0; step < 25; step++) {
    const g = randomVector(rng, size).map((x, j) => (j === 4 ? 0 : x * 10 ** (step % 5 - 2)));
    plain.step(a, g);
    inWasm.step(b, g);
    assert.deepEqual([...b], [...a], `step ${step + 1}`);
  }
  assert.deepEqual(inWasm.getState(), plain.getState());
  const resumed = new Adam(size, 0.003).useWasm(wasm);
  resumed.setState(plain.getState());
  const g = randomVector(rng, size);
  const c = a.slice();
  plain.step(a, g);
  resumed.step(c, g);
  assert.deepEqual([...c], [...a], 'after setState');
});

test('evaluation on the wasm engine equals the fast engine\'s (≤ 1e-10 per task and step), diverged tasks and Meta-SGD\'s rates included', async () => {
  const layout = paramLayout();
  const tasks = heldOutTasks(40);
  const models = [initParams(new Rng(1)), initParams(new Rng(2))];
  const withRates = metaSgdWithVariedRates();
  const cases: [string, Float64Array[], Partial<EvalOptions>][] = [
    ['two models, 10 steps', models, { steps: 10, lr: 0.01 }],
    ['a rate at which some tasks diverge', models, { steps: 30, lr: 0.6, record: [0, 1, 2, 5, 10, 30] }],
    ['Meta-SGD rates', [withRates], { steps: 5, lr: 0.01 }],
  ];
  for (const [what, replicas, options] of cases) {
    const fast = evaluate(replicas, layout, tasks, { ...options, engine: 'fast' });
    const wasm = evaluate(replicas, layout, tasks, { ...options, engine: 'wasm' });
    assert.deepEqual(wasm.summary.map((s) => s.diverged), fast.summary.map((s) => s.diverged), `${what}: diverged tasks`);
    for (let i = 0; i < fast.perTask.length; i++) {
      const finite = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v : 0));
      assertNear(finite(wasm.perTask[i]), finite(fast.perTask[i]), TOL, `${what}: step ${fast.steps[i]}`);
    }
    if (what.startsWith('a rate')) assert.ok(fast.summary.at(-1)!.diverged > 0, 'some tasks diverge in this case');
    // the same bits across worker threads
    assert.deepEqual((await evaluateParallel(replicas, layout, tasks, { ...options, engine: 'wasm' }, 2)).perTask, wasm.perTask, `${what}: worker threads`);
  }
  assert.throws(() => evaluate(models, layout, tasks, { engine: 'autodiff' as never }), /engine = "autodiff" is invalid: expected one of wasm-f32, wasm, fast/);
});
