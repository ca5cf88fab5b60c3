/**
 * On a wasm engine the trainer keeps θ, the meta-gradient and the meta-batch's sum in the
 * engine's own memory, and the meta-gradients, Adam and the batch sum then work on them in place
 * (lib/training/train.ts ReplicaTrainer, WasmMlp.addressOf); inside a meta-batch a task's
 * meta-gradient is added to the sum by the engine, which reads θ once (WasmMetaGradientFn.addTo).
 * That path must give the bits of the path that copies plain arrays in and out, in both
 * precisions and for every algorithm.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { WasmMlp, Precision } from '../lib/model/wasmMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import { ALGORITHM, ALGORITHMS } from '../lib/algorithms/registry';
import { initMetaSgd } from '../lib/algorithms/metasgd';
import { Adam } from '../lib/optim/adam';
import { TaskData } from '../lib/algorithms/types';

const layout = paramLayout();
const points = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-5, 5));

function task(rng: Rng): TaskData {
  const [sx, qx] = [points(rng, 10), points(rng, 10)];
  return { support: { x: sx, y: sx.map(Math.sin) }, query: { x: qx, y: qx.map((x) => 2 * Math.sin(x + 1)) } };
}

for (const precision of ['f64', 'f32'] as Precision[]) {
  for (const algo of ALGORITHMS) {
    test(`${algo}, ${precision}: θ and the result as views of the engine's memory give the bits of plain arrays`, () => {
      const rng = new Rng(4);
      const theta = ALGORITHM[algo].learnsRates ? initMetaSgd(initParams(rng), 0.01) : initParams(rng);
      const data = [task(rng), task(rng)];
      const options = { innerSteps: algo === 'reptile' ? 3 : 1, innerLr: 0.01, seedCompat: false };
      const run = (resident: boolean) => {
        const net = new WasmMlp(layout, precision);
        const metaGradient = ALGORITHM[algo].wasm(net, options, 10);
        const adam = new Adam(theta.length, 1e-3).useWasm(net);
        const n = theta.length;
        const vectors = resident ? [net.doubles(n), net.doubles(n), net.doubles(n)] : null;
        const [th, g, sum] = vectors ? vectors.map((v) => v.array) : [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
        if (resident) assert.equal(net.addressOf(th), th.byteOffset, 'a view of the engine\'s memory is found there');
        else assert.equal(net.addressOf(th), null);
        th.set(theta);
        const losses: number[] = [];
        for (const d of data) {
          losses.push(metaGradient(th, d, g));
          // the trainer's meta-batch path: added to the sum by the engine, θ not read again (the call above read it)
          if (vectors) assert.equal(metaGradient.addTo(th, d, sum, true), losses[losses.length - 1], 'addTo\'s loss');
          else for (let j = 0; j < n; j++) sum[j] += g[j];
          adam.step(th, g);
        }
        return { theta: Float64Array.from(th), grad: Float64Array.from(g), sum: Float64Array.from(sum), losses };
      };
      const plain = run(false);
      const resident = run(true);
      assert.deepEqual(resident.losses, plain.losses);
      assert.deepEqual(resident.grad, plain.grad, 'meta-gradient');
      assert.deepEqual(resident.sum, plain.sum, 'the batch sum (addTo against the plain call and a TypeScript loop)');
      assert.deepEqual(resident.theta, plain.theta, 'θ after two Adam steps in place');
      assert.ok(plain.grad.some((v) => v !== 0));
    });
  }
}

test('addTo reads θ unless told it holds the values of the previous call, and addToF64 refuses a sum it cannot add to', () => {
  for (const precision of ['f64', 'f32'] as Precision[]) {
    const net = new WasmMlp(layout, precision);
    const metaGradient = ALGORITHM.maml.wasm(net, { innerSteps: 1, innerLr: 0.01, seedCompat: false }, 10);
    const rng = new Rng(5);
    const d = task(rng);
    const [before, after] = [initParams(rng), initParams(rng)];
    const n = before.length;
    // every vector made before the first view is taken: growing the memory detaches views
    const vectors = [net.doubles(n), net.doubles(n), net.doubles(n), net.doubles(n)];
    const th = vectors[0].array;
    let next = 1;
    const sumOf = (theta: Float64Array, sameTheta: boolean) => {
      const sum = vectors[next++].array;
      th.set(theta);
      metaGradient.addTo(th, d, sum, sameTheta);
      return Float64Array.from(sum);
    };
    const atBefore = sumOf(before, false);
    const atAfter = sumOf(after, false);
    assert.notDeepEqual(atAfter, atBefore, `${precision}: a new θ is read`);
    assert.deepEqual(sumOf(before, true), atAfter, `${precision}: sameTheta keeps the θ read last (the trainer's contract: θ unchanged)`);
    assert.throws(() => net.addToF64(new Float64Array(3), net.vector(3)), /view of this engine's memory/);
    const [four, three] = [net.doubles(4), net.vector(3)];
    assert.throws(() => net.addToF64(four.array, three), /a sum of 4 entries from a vector of 3/);
  }
});

test('Adam with only θ, or only the gradient, in the engine\'s memory: the bits of plain arrays (the in-place step needs both)', () => {
  const rng = new Rng(8);
  const theta = initParams(rng);
  const grad = theta.map(() => rng.uniform(-1, 1));
  for (const precision of ['f64', 'f32'] as Precision[]) {
    const run = (thetaHere: boolean, gradHere: boolean) => {
      const net = new WasmMlp(layout, precision);
      const adam = new Adam(theta.length, 1e-3).useWasm(net);
      const [tv, gv] = [net.doubles(theta.length), net.doubles(theta.length)];
      const th = thetaHere ? tv.array : new Float64Array(theta.length);
      const g = gradHere ? gv.array : new Float64Array(theta.length);
      th.set(theta);
      g.set(grad);
      adam.step(th, g);
      adam.step(th, g);
      return Float64Array.from(th);
    };
    const plain = run(false, false);
    assert.deepEqual(run(true, false), plain, `${precision}: θ in memory, gradient plain`);
    assert.deepEqual(run(false, true), plain, `${precision}: gradient in memory, θ plain`);
    assert.deepEqual(run(true, true), plain, `${precision}: both in memory`);
  }
});

test('Adam in place refuses vectors of another length, naming both lengths', () => {
  const net = new WasmMlp(layout, 'f64');
  const adam = new Adam(layout.size, 1e-3).useWasm(net);
  const n = layout.size;
  const [short, full, fullGrad] = [net.doubles(n - 1), net.doubles(n), net.doubles(n)];
  const refused = (theta: Float64Array, grad: Float64Array) => new RegExp(`adam step = "?${theta.length} parameters and ${grad.length} gradients"? is invalid: expected ${n} of each`);
  assert.throws(() => adam.step(short.array, short.array), refused(short.array, short.array));
  assert.throws(() => adam.step(short.array, fullGrad.array), refused(short.array, fullGrad.array), 'θ alone too short');
  assert.throws(() => adam.step(full.array, short.array), refused(full.array, short.array), 'the gradient alone too short');
});
