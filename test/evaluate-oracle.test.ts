/**
 * `evaluate` and `fitPredictions` against an independent answer: the MLP, its gradient, the
 * 50-point test grid and SGD re-implemented in reference.ts from their definitions. Every test
 * runs on every evaluation engine (wasm-f32, the default, wasm and the fast TypeScript reference):
 * to 1e-10 relative in float64 and to 1e-5 in float32, which carries ~7 digits (measured: every
 * float32 check here holds at 1e-6, two fail at 3e-7).
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DIVERGED_MSE, EVAL_ENGINES, evaluate as evaluateOn, fitPredictions } from '../lib/evaluation/evaluate';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import { makeTaskPool, SineTask, taskOptions } from '../lib/tasks/sineTask';
import { refCurve, refGrad, refGrid, refPredict } from './reference';

const sizes = [1, 40, 40, 1];
const layout = paramLayout(sizes);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

/** A check's tolerance on the engine under test: as asked in float64, 1e-5 relative in float32. */
let tolerance = (f64: number) => f64;
/** |a − b| within tolerance(f64) relative to b. */
const near = (a: number, b: number, f64: number) => rel(a, b) <= tolerance(f64);

function assertCurve(actual: ArrayLike<number>, expected: number[], what: string, tol = tolerance(1e-10)): void {
  assert.equal(actual.length, expected.length, what);
  for (let k = 0; k < expected.length; k++) assert.ok(rel(actual[k], expected[k]) < tol, `${what}, k=${k}: ${actual[k]} vs reference ${expected[k]}`);
}

/** Meta-SGD's learned rates: all different and non-zero, in [0.002, 0.03). */
function randomRates(rng: Rng, size: number): Float64Array {
  return Float64Array.from({ length: size }, () => rng.uniform(0.002, 0.03));
}

for (const engine of EVAL_ENGINES) {
describe(`evaluation on the ${engine} engine`, () => {
  /** evaluate() on this engine unless a test names one */
  const evaluate: typeof evaluateOn = (replicas, layout, tasks, options = {}) => evaluateOn(replicas, layout, tasks, { engine, ...options });
  before(() => {
    tolerance = engine === 'wasm-f32' ? () => 1e-5 : (f64) => f64;
  });

  test('evaluate on one task: k = 0 is the loss on the 50-point grid, k ≥ 1 are SGD steps on the support set', () => {
    const theta = initParams(new Rng(21), sizes);
    const [task] = makeTaskPool(1, new Rng(22));
    const result = evaluate([theta], layout, [task], { steps: 3, lr: 0.03 });
    const expected = refCurve(theta, sizes, task, 3, 0.03);
    assertCurve(result.perTask.map((v) => v[0]), expected, 'per-task MSE');
    assertCurve(result.summary.map((s) => s.mean), expected, 'mean over one task');
    assertCurve(result.summary.map((s) => s.median), expected, 'median over one task');
    assert.deepEqual(result.perReplica[0].map((v, k) => near(v, expected[k], 1e-10)), [true, true, true, true]);
    // a test that measured on other points, or took another step, would see other numbers
    assert.ok(rel(expected[1], expected[0]) > 1e-3 && rel(expected[2], expected[1]) > 1e-3, `${expected}`);
    assert.ok(rel(refCurve(theta, sizes, task, 0, 0.03, refGrid(-5, 5, 49))[0], expected[0]) > 1e-4, 'a 49-point grid differs (by more than 10x float32\'s tolerance: measured 3.4e-4)');
  });

  test('evaluate with a recorded subset and the default lr 0.01 matches the reference at those steps', () => {
    const theta = initParams(new Rng(23), sizes);
    const tasks = makeTaskPool(2, new Rng(24), { supportSize: 5 });
    const result = evaluate([theta], layout, tasks, { steps: 5, record: [0, 2, 5] });
    assert.equal(result.lr, 0.01);
    tasks.forEach((task, t) => {
      const full = refCurve(theta, sizes, task, 5, 0.01);
      assertCurve(result.perTask.map((v) => v[t]), [full[0], full[2], full[5]], `task ${t}`);
    });
  });

  test('replicas: per task the MSE is averaged over replicas; per replica, averaged over tasks', () => {
    const replicas = [initParams(new Rng(31), sizes), initParams(new Rng(32), sizes), initParams(new Rng(33), sizes)];
    const tasks = makeTaskPool(4, new Rng(34));
    const result = evaluate(replicas, layout, tasks, { steps: 2, lr: 0.02 });
    const curves = replicas.map((theta) => tasks.map((task) => refCurve(theta, sizes, task, 2, 0.02)));
    for (let k = 0; k <= 2; k++) {
      const perTask = tasks.map((_, t) => (curves[0][t][k] + curves[1][t][k] + curves[2][t][k]) / 3);
      assertCurve(result.perTask[k], perTask, `perTask at k=${k}`);
      const mean = perTask.reduce((a, b) => a + b, 0) / 4;
      assert.ok(near(result.summary[k].mean, mean, 1e-10), `mean at k=${k}`);
      const sorted = [...perTask].sort((a, b) => a - b);
      assert.ok(near(result.summary[k].median, (sorted[1] + sorted[2]) / 2, 1e-10), `median at k=${k}`);
      replicas.forEach((_, r) => {
        const own = curves[r].reduce((a, c) => a + c[k], 0) / 4;
        assert.ok(near(result.perReplica[r][k], own, 1e-10), `replica ${r} at k=${k}`);
      });
    }
    assert.equal(result.replicas, 3);
    assert.equal(result.tasks, 4);
  });

  test('Meta-SGD evaluation uses each weight\'s own learned rate (random, non-zero), not lr', () => {
    const rng = new Rng(41);
    const theta = initParams(rng, sizes);
    const rates = randomRates(rng, theta.length);
    const params = new Float64Array(2 * theta.length);
    params.set(theta);
    params.set(rates, theta.length);
    const [task] = makeTaskPool(1, new Rng(42));
    const result = evaluate([params], layout, [task], { steps: 3, lr: 0.5 });
    const expected = refCurve(theta, sizes, task, 3, rates);
    assertCurve(result.perTask.map((v) => v[0]), expected, 'Meta-SGD curve');
    // neither one scalar rate nor the mean rate gives these numbers
    const meanRate = rates.reduce((a, b) => a + b, 0) / rates.length;
    assert.ok(rel(refCurve(theta, sizes, task, 3, meanRate)[3], expected[3]) > 1e-3, 'the mean rate differs (measured 5.3e-3)');
  });

  test('fit plots: predictions on 100 grid points after each k, and the MSE equals the evaluation\'s', () => {
    const rng = new Rng(51);
    const theta = initParams(rng, sizes);
    const metaSgd = new Float64Array(2 * theta.length);
    metaSgd.set(theta);
    metaSgd.set(randomRates(rng, theta.length), theta.length);
    const [task] = makeTaskPool(1, new Rng(52));
    for (const [name, params, lr] of [['plain', theta, 0.02], ['Meta-SGD', metaSgd, 0.02]] as const) {
      const fit = fitPredictions(params, layout, task, [0, 1, 3], lr);
      // fit plots run on the fast engine: the same bits as its evaluation (the wasm engine's agree to ~1e-15)
      const curve = evaluate([params], layout, [task], { steps: 3, lr, engine: 'fast' });
      refGrid(-5, 5, 100).forEach((x, i) => assert.ok(Math.abs(fit.x[i] - x) < 1e-12, `${name}: fit x[${i}]`));
      assert.equal(fit.x.length, 100);
      assert.deepEqual(fit.predictions.map((p) => p.step), [0, 1, 3]);
      const rates = params.length === 2 * theta.length ? params.subarray(theta.length) : lr;
      // walk the reference SGD to each k and predict on the 100-point grid
      let p = Array.from(theta);
      const grid = refGrid(-5, 5, 100);
      const support = Array.from(task.supportX);
      for (let k = 0; k <= 3; k++) {
        if (k > 0) {
          const g = refGrad(p, sizes, support, support.map((x) => task.f(x)));
          p = p.map((v, j) => v - (typeof rates === 'number' ? rates : rates[j]) * g[j]);
        }
        const shown = fit.predictions.find((q) => q.step === k);
        if (!shown) continue;
        assertCurve(shown.y, refPredict(p, sizes, grid), `${name}: predictions at k=${k}`, 1e-10); // fit plots: the fast engine, float64 in every suite
        assert.equal(shown.mse, curve.perTask[k][0], `${name}: fit MSE at k=${k} = evaluation's`);
      }
    }
  });

  /**
   * A network that predicts a constant c everywhere (zero weights, output bias c) on a task with
   * amplitude 0: its test MSE is c², the support gradient is 2c on the output bias only, so SGD
   * gives c ← c(1 − 2·lr) and MSE_k = (c(1 − 2lr)^k)², all exact.
   */
  function constantModel(c: number): Float64Array {
    const theta = new Float64Array(layout.size);
    theta[layout.size - 1] = c;
    return theta;
  }
  const flatTask = new SineTask(0, 0, Float64Array.from([-4, -1, 0.5, 2, 3]), taskOptions({ supportSize: 5 }));

  test('divergence: an MSE of exactly DIVERGED_MSE is kept, just above it is diverged, and stays so', () => {
    assert.equal(DIVERGED_MSE, 1e4);
    const at = evaluate([constantModel(100)], layout, [flatTask], { steps: 1, lr: 0.01 });
    assert.equal(at.perTask[0][0], 1e4);
    assert.equal(at.summary[0].diverged, 0);
    // (100 · 0.98)² = 9604
    assert.ok(near(at.perTask[1][0], 9604, 1e-13), `${at.perTask[1][0]}`);
    const above = evaluate([constantModel(100.001)], layout, [flatTask], { steps: 2, lr: 0.01 });
    // k=0: 100.001² > 1e4 → diverged; SGD would bring it to ~9604 at k=1, but a task that
    // diverged stays diverged
    assert.deepEqual(Array.from(above.perTask, (v) => v[0]), [Infinity, Infinity, Infinity]);
    assert.deepEqual(above.summary.map((s) => s.diverged), [1, 1, 1]);
    assert.deepEqual(above.summary.map((s) => s.n), [0, 0, 0]);
  });

  test('divergence is counted per step: a run-away SGD crosses the threshold at a known step', () => {
    // c = 1, lr = 10: c_k = (1 − 20)^k = (−19)^k, MSE_k = 361^k: 1, 361, 130321 (> 1e4), ...
    const tasks = [flatTask, flatTask, flatTask];
    const models = [constantModel(1), constantModel(1)];
    const wild = evaluate(models, layout, tasks, { steps: 3, lr: 10 });
    assert.deepEqual(wild.summary.map((s) => s.diverged), [0, 0, 3, 3]);
    assert.deepEqual(wild.summary.map((s) => s.n), [3, 3, 0, 0]);
    assert.ok(near(wild.summary[1].mean, 361, 1e-12), `${wild.summary[1].mean}`);
    assert.equal(wild.summary[2].median, Infinity);
    // mixing: a calm model (lr 0.01 would be calm too) next to the wild tasks
    const calm = evaluate([constantModel(1)], layout, [flatTask], { steps: 3, lr: 0.01 });
    assert.deepEqual(calm.summary.map((s) => s.diverged), [0, 0, 0, 0]);
    assert.ok(near(calm.summary[3].mean, 0.98 ** 6, 1e-12), `${calm.summary[3].mean}`);
  });

  test('divergence with NaN and ∞ parameters: counted as diverged, never NaN in the mean', () => {
    const nan = constantModel(NaN);
    const inf = constantModel(1e200); // MSE = 1e400 = ∞
    const fine = constantModel(2);
    const out = evaluate([fine], layout, [flatTask], { steps: 1 });
    const mixed = evaluate([nan], layout, [flatTask], { steps: 1 });
    assert.deepEqual(Array.from(mixed.perTask, (v) => v[0]), [Infinity, Infinity]);
    const both = evaluate([inf], layout, [flatTask], { steps: 1 });
    assert.deepEqual(Array.from(both.perTask, (v) => v[0]), [Infinity, Infinity]);
    assert.equal(out.summary[1].diverged, 0);
    // a replica that diverged on a task makes that task diverged, even if the other replica is fine
    const pair = evaluate([fine, inf], layout, [flatTask], { steps: 1 });
    assert.equal(pair.summary[0].diverged, 1);
    assert.equal(pair.perReplica[0][0], 4);
    assert.ok(near(pair.perReplica[0][1], 4 * 0.98 ** 2, 1e-12), `${pair.perReplica[0]}`);
    assert.ok(pair.perReplica[1].every((v) => Number.isNaN(v)), `${pair.perReplica[1]}`);
  });

  test('defaults and refusals: 10 steps of lr 0.01, fit plots with lr 0.01 on 100 points; empty inputs refused', () => {
    const theta = initParams(new Rng(61), sizes);
    const [task] = makeTaskPool(1, new Rng(62));
    const result = evaluate([theta], layout, [task]);
    assert.deepEqual(result.steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(result.lr, 0.01);
    const want = refCurve(theta, sizes, task, 10, 0.01);
    assertCurve(result.perTask.map((v) => v[0]), want, 'default curve');
    const fit = fitPredictions(theta, layout, task, [2]);
    assert.equal(fit.x.length, 100);
    assert.ok(rel(fit.predictions[0].mse, want[2]) < 1e-10, `fit MSE with the default lr: ${fit.predictions[0].mse} vs ${want[2]}`);
    // a fit list in any order, with k = 0 absent: predictions come in step order
    assert.deepEqual(fitPredictions(theta, layout, task, [3, 1], 0.01, 20).predictions.map((p) => [p.step, p.y.length]), [[1, 20], [3, 20]]);
    const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof Error && re.test(e.message));
    refused(() => evaluate([], layout, [task]), /^replicas = 0 is invalid: expected at least one parameter vector/);
    refused(() => evaluate([theta], layout, []), /^tasks = 0 is invalid: expected at least one task/);
    refused(() => evaluate([new Float64Array(2 * layout.size + 1)], layout, [task]), /^replicas\[0\] length = 3523 is invalid: expected 1761 parameters for layers \[1,40,40,1\] \(or 3522 for Meta-SGD\)/);
    refused(() => fitPredictions(theta, layout, task, [1], 0), /^lr = 0 is invalid/);
    refused(() => evaluate([theta], layout, [task], { steps: -1 }), /^steps = -1 is invalid/);
    refused(() => evaluate([theta], layout, [task], { steps: 2, record: [] }), /^record = \[\] is invalid: expected a non-empty list of steps/);
    refused(() => evaluate([theta], layout, [task], { steps: 2, record: [0, 1, 1, 2] }), /^record = \[0,1,1,2\] is invalid: expected steps in increasing order/);
    // not an array at all: the same clear error, not a TypeError
    refused(() => evaluate(undefined as never, layout, [task]), /^replicas = undefined is invalid: expected at least one parameter vector/);
    refused(() => evaluate([theta], layout, undefined as never), /^tasks = undefined is invalid: expected at least one task/);
  });

  test('tasks with K = 20 support points and a 60-point test grid: the buffers fit the largest task', () => {
    const theta = initParams(new Rng(71), sizes);
    const big = makeTaskPool(1, new Rng(72), { supportSize: 20, testSize: 60 });
    const small = makeTaskPool(1, new Rng(73), { supportSize: 3 });
    const result = evaluate([theta], layout, [small[0], big[0]], { steps: 1, lr: 0.02 });
    assertCurve(result.perTask.map((v) => v[1]), refCurve(theta, sizes, big[0], 1, 0.02, refGrid(-5, 5, 60)), 'K = 20, 60 test points');
    assertCurve(result.perTask.map((v) => v[0]), refCurve(theta, sizes, small[0], 1, 0.02), 'K = 3');
  });

  test('ReLU\'(0) = 0 as in PyTorch: a first layer of zeros receives no gradient', () => {
    // hidden1's weights and biases all 0: its pre-activations are exactly 0 on every point, so
    // with ReLU'(0) = 0 only the layers above it learn in the first step
    const theta = initParams(new Rng(81), sizes);
    theta.fill(0, 0, 80);
    const [task] = makeTaskPool(1, new Rng(82));
    const result = evaluate([theta], layout, [task], { steps: 2, lr: 0.05 });
    assertCurve(result.perTask.map((v) => v[0]), refCurve(theta, sizes, task, 2, 0.05), 'zero first layer');
  });
});
}
