/**
 * On a wasm engine the trainer keeps θ, the meta-gradient and the meta-batch's sum in the
 * engine's own memory, and the meta-gradients, Adam and the batch sum then work on them in place
 * (lib/training/train.ts ReplicaTrainer, WasmMlp.addressOf). That path must give the bits of the
 * path that copies plain arrays in and out, in both precisions and for every algorithm.
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
          if (vectors) net.addDoubles(sum, g);
          else for (let j = 0; j < n; j++) sum[j] += g[j];
          adam.step(th, g);
        }
        return { theta: Float64Array.from(th), grad: Float64Array.from(g), sum: Float64Array.from(sum), losses };
      };
      const plain = run(false);
      const resident = run(true);
      assert.deepEqual(resident.losses, plain.losses);
      assert.deepEqual(resident.grad, plain.grad, 'meta-gradient');
      assert.deepEqual(resident.sum, plain.sum, 'the batch sum (addF64 against the TypeScript loop)');
      assert.deepEqual(resident.theta, plain.theta, 'θ after two Adam steps in place');
      assert.ok(plain.grad.some((v) => v !== 0));
    });
  }
}

test('addDoubles refuses vectors of different lengths', () => {
  const net = new WasmMlp(layout, 'f64');
  assert.throws(() => net.addDoubles(net.doubles(3).array, net.doubles(4).array), /lengths 3 and 4/);
  const inMemory = net.doubles(3);
  assert.throws(() => net.addDoubles(inMemory.array, new Float64Array(3)), /views of this engine's memory/);
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
