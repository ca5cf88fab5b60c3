/**
 * What the two wasm engines' test files share (test/wasm-engine.test.ts, float64, and
 * test/wasm-f32.test.ts, float32): random inputs, a norm-relative check, an engine pair on one
 * layer shape, and the comparisons with the fast engine: the passes (predictions, loss, gradient,
 * H·v) and every algorithm's meta-gradient.
 */
import * as assert from 'node:assert/strict';
import { FastMlp } from '../lib/model/fastMlp';
import { Precision, WasmMlp } from '../lib/model/wasmMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import { ALGORITHM, ALGORITHMS } from '../lib/algorithms/registry';
import { initMetaSgd } from '../lib/algorithms/metasgd';
import { TaskData } from '../lib/algorithms/types';
import { relErr } from './helpers';

export const points = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-5, 5));
export const randomVector = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));

/** A Meta-SGD model of the default layout whose learned rates differ weight by weight (0.005 to 0.032). */
export function metaSgdWithVariedRates(): Float64Array {
  const size = paramLayout().size;
  const withRates = initMetaSgd(initParams(new Rng(3)), 0.02);
  for (let j = size; j < withRates.length; j++) withRates[j] = 0.005 + 0.03 * ((j * 37) % 11) / 11;
  return withRates;
}

/** `actual` within `tol` of `expected`, norm-relative over the whole vector. */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const e = relErr(actual, expected);
  assert.ok(e <= tol, `${what}: relative error ${e} (tolerance ${tol})`);
}

/** The fast engine and a wasm engine on one shape, with biases that switch some units of every layer off. */
export function setup<P extends Precision>(sizes: number[], seed: number, precision: P) {
  const rng = new Rng(seed);
  const layout = paramLayout(sizes);
  const theta = initParams(rng, sizes);
  for (const e of layout.entries) if (e.name.endsWith('.bias')) for (let j = 0; j < e.size; j++) theta[e.offset + j] = rng.uniform(-1, 1);
  return { rng, layout, theta, fast: new FastMlp(layout), wasm: new WasmMlp(layout, precision) };
}

/**
 * Predictions, loss, gradient and H·v of the wasm engine of `precision` against the fast
 * engine's, to `tol`, on each shape and point count: one tape and one set of vectors per shape,
 * reused across point counts, with the outputs dirtied first (every entry must be written).
 * Returns the worst relative error of the gradients and H·v.
 */
export function assertPassesMatchFast(shapes: number[][], pointCounts: number[], precision: Precision, tol: number): number {
  let worst = 0;
  for (const [k, sizes] of shapes.entries()) {
    const { rng, layout, theta, fast, wasm } = setup(sizes, 10 + k, precision);
    assert.equal(wasm.precision, precision);
    const capacity = Math.max(...pointCounts);
    const ws = fast.workspace(capacity);
    const tape = wasm.tape(capacity);
    const thetaW = wasm.vector(layout.size);
    assert.ok(thetaW.array instanceof (precision === 'f32' ? Float32Array : Float64Array));
    thetaW.set(theta);
    const [gradW, vW, hvW] = [wasm.vector(layout.size), wasm.vector(layout.size), wasm.vector(layout.size)];
    const grad = new Float64Array(layout.size);
    const hv = new Float64Array(layout.size);
    for (const n of pointCounts) {
      const what = `${precision}, ${sizes.join('-')}, ${n} point(s)`;
      const x = points(rng, n);
      const y = points(rng, n);
      const v = randomVector(rng, layout.size);
      wasm.setPoints(tape, x, y);
      assertNear(wasm.forward(thetaW, tape), fast.forward(theta, x, ws), tol, `${what}: predictions`);
      const lossF = fast.loss(theta, x, y, ws);
      assert.ok(Math.abs(wasm.loss(thetaW, tape) - lossF) <= tol * lossF, `${what}: loss`);
      gradW.array.fill(123);
      hvW.array.fill(-7);
      vW.set(v);
      const lossG = wasm.lossAndGrad(thetaW, tape, gradW);
      fast.lossAndGrad(theta, x, y, ws, grad);
      assert.ok(Math.abs(lossG - lossF) <= tol * lossF, `${what}: lossAndGrad's loss ${lossG} vs ${lossF}`);
      assertNear(gradW.array, grad, tol, `${what}: gradient`);
      wasm.hvp(thetaW, vW, tape, hvW);
      fast.hvp(theta, v, ws, hv);
      assertNear(hvW.array, hv, tol, `${what}: H·v`);
      worst = Math.max(worst, relErr(gradW.array, grad), relErr(hvW.array, hv));
    }
  }
  return worst;
}

/**
 * Every algorithm's meta-gradient and loss on the wasm engine of `precision` against the fast
 * engine's, to `tol`: each shape, 1 and 2 inner steps, with and without seedCompat where it
 * applies, Meta-SGD with random rates, and 10/10, 3/17 and 1/2 support/query points.
 */
export function assertMetaGradientsMatchFast(shapes: number[][], precision: Precision, tol: number): void {
  for (const [k, sizes] of shapes.entries()) {
    for (const algo of ALGORITHMS) {
      for (const innerSteps of [1, 2]) {
        for (const seedCompat of ALGORITHM[algo].leakApplies ? [false, true] : [false]) {
          const { rng, layout, theta, fast, wasm } = setup(sizes, 100 + 10 * k + innerSteps, precision);
          const capacity = 17;
          const options = { innerSteps, innerLr: 0.05, seedCompat };
          let params: Float64Array = theta;
          if (ALGORITHM[algo].learnsRates) {
            params = initMetaSgd(theta, 0.05);
            for (let j = layout.size; j < params.length; j++) params[j] = rng.uniform(0.001, 0.1);
          }
          const metaF = ALGORITHM[algo].fast(fast, options, capacity);
          const metaW = ALGORITHM[algo].wasm(wasm, options, capacity);
          for (const [support, query] of [[10, 10], [3, 17], [1, 2]]) {
            const data: TaskData = { support: { x: points(rng, support), y: points(rng, support) }, query: { x: points(rng, query), y: points(rng, query) } };
            const outF = new Float64Array(params.length);
            const outW = new Float64Array(params.length).fill(5);
            const lossF = metaF(params, data, outF);
            const lossW = metaW(params, data, outW);
            const what = `${algo}${seedCompat ? ' (seedCompat)' : ''}, ${sizes.join('-')}, ${innerSteps} inner step(s), ${support}/${query} points`;
            assert.ok(Math.abs(lossW - lossF) <= tol * lossF, `${what}: loss ${lossW} vs ${lossF}`);
            assertNear(outW, outF, tol, `${what}: meta-gradient`);
          }
        }
      }
    }
  }
}
