/**
 * The engine a config names is the engine that trains and evaluates. The engines agree far
 * below any tolerance a result could notice (test/wasm-engine.test.ts: ≤ 1e-10 per
 * meta-gradient), so the golden values (1e-9) cannot tell them apart; their summation orders
 * differ, though, so each engine leaves its own last bits, and that is what is checked here.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluate } from '../lib/evaluation/evaluate';
import { paramLayout } from '../lib/model/params';
import { Rng, STREAM } from '../lib/tasks/rng';
import { makeTaskPool } from '../lib/tasks/sineTask';
import { AlgoName, createMetaGradientFor, ENGINES, ReplicaTrainer, resolveTrainConfig, train, trainingPool } from '../lib/training/train';
import { FastMlp } from '../lib/model/fastMlp';
import { WasmMlp } from '../lib/model/wasmMlp';

const CONFIG = { tasks: 30, epochs: 1, replicas: 1, metaBatchSize: 3, seed: 5 };

/** Largest relative difference between two vectors. */
function relativeGap(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / Math.max(1e-12, Math.abs(a[j])));
  return worst;
}

for (const algo of ['maml', 'transfer'] as AlgoName[]) {
  test(`${algo}: each float64 engine leaves its own last bits, and they agree to 1e-12`, () => {
    const [fast, wasm] = (['fast', 'wasm'] as const).map((engine) => train({ ...CONFIG, algo, engine }).replicas[0]);
    const gap = relativeGap(fast, wasm);
    assert.ok(gap > 0, 'fast and wasm gave the same bits: one of them did not run');
    assert.ok(gap < 1e-12, `fast and wasm differ by ${gap}`);
    assert.deepEqual(train({ ...CONFIG, algo, engine: 'wasm' }).replicas[0], wasm, 'the same engine, the same bits');
  });
}

test('every engine the library lists trains (the autodiff path on a tiny run), each with its own numbers', () => {
  const tiny = { ...CONFIG, tasks: 2, algo: 'fomaml' as const };
  const fast = train({ ...tiny, engine: 'fast' }).replicas[0];
  for (const engine of ENGINES) {
    const r = train({ ...CONFIG, tasks: engine === 'autodiff' ? 2 : CONFIG.tasks, algo: 'fomaml', engine });
    assert.equal(r.config.engine, engine);
    assert.ok(r.replicas[0].every(Number.isFinite));
    if (engine === 'fast') continue;
    // after one Adam step: the float64 kernels leave their last bits (~2e-16), the float32
    // engines (tfjs, wasm-f32) float32-sized gradient errors scaled by the step (~1e-11)
    const gap = relativeGap(fast, train({ ...tiny, engine }).replicas[0]);
    assert.ok(gap > 0 && gap < 1e-6, `${engine} against fast after one step: ${gap}`);
    if (engine === 'wasm') assert.ok(gap < 1e-13, `wasm computes in float64: ${gap}`);
    else assert.ok(gap > 1e-13, `${engine} computes in float32: ${gap} is float64-sized`);
  }
});

test('a wasm net of the other precision is refused, naming the engine', () => {
  const config = resolveTrainConfig({ ...CONFIG, algo: 'maml', engine: 'wasm-f32' });
  const net = new FastMlp(paramLayout());
  assert.throws(() => createMetaGradientFor(config, net, new WasmMlp(net.layout, 'f64')), /wasmNet = "?f64"? is invalid: expected a f32 engine for wasm-f32/);
});

test('trained parameters own their memory: not a view of a wasm engine\'s memory (which a worker would clone whole)', () => {
  for (const engine of ['wasm', 'wasm-f32', 'fast'] as const) {
    const trainer = new ReplicaTrainer(resolveTrainConfig({ ...CONFIG, algo: 'maml', engine }), 0, trainingPool(resolveTrainConfig({ ...CONFIG, algo: 'maml', engine })));
    while (!trainer.done) trainer.step();
    const { theta } = trainer.result();
    assert.equal(theta.byteOffset, 0, engine);
    assert.equal(theta.buffer.byteLength, theta.length * 8, `${engine}: a buffer of its own`);
    assert.deepEqual(theta, trainer.theta, `${engine}: a copy of θ`);
  }
});

test('evaluation: the wasm and fast engines leave their own last bits and agree to 1e-12', () => {
  const layout = paramLayout();
  const model = train({ ...CONFIG, algo: 'maml', engine: 'fast' }).replicas;
  const tasks = makeTaskPool(20, new Rng(2, STREAM.heldOutTasks));
  const [fast, wasm] = (['fast', 'wasm'] as const).map((engine) => evaluate(model, layout, tasks, { steps: 3, engine }));
  const gaps = fast.perTask.map((row, i) => relativeGap(row, wasm.perTask[i]));
  assert.ok(Math.max(...gaps) > 0, 'fast and wasm gave the same bits: one of them did not run');
  assert.ok(Math.max(...gaps) < 1e-12, `fast and wasm differ by ${Math.max(...gaps)}`);
});
