/** Reptile and Meta-SGD: gradients against float64 references and tfjs, options, checkpoints. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as autodiff from '../lib/tfjs/autodiff';
import { initBackend } from '../lib/tfjs/autodiff';
import { evaluate, heldOutTasks, loadCheckpoint, MamlInputError, paramLayout, saveCheckpoint, train, TaskData, FastMlp } from '../lib/index';
import * as metasgd from '../lib/algorithms/metasgd';
import * as reptile from '../lib/algorithms/reptile';
import { fixture, relErr } from './helpers';
import { refCurve } from './reference';
import { scratchDir } from './scratch';

/** Meta-SGD's objective in float64 by plain passes: L_Q after k steps θ ← θ − α ⊙ ∇L_S(θ). */
function metaSgdObjective(net: FastMlp, params: Float64Array, data: TaskData, steps: number): number {
  const P = net.size;
  const ws = net.workspace(64);
  const g = new Float64Array(P);
  const theta = params.slice(0, P);
  for (let s = 0; s < steps; s++) {
    net.lossAndGrad(theta, data.support.x, data.support.y, ws, g);
    for (let j = 0; j < P; j++) theta[j] -= params[P + j] * g[j];
  }
  return net.loss(theta, data.query.x, data.query.y, ws);
}

function withRandomLrs(theta: Float64Array, seed: number): Float64Array {
  const both = metasgd.initMetaSgd(theta, 0.01);
  for (let j = theta.length; j < both.length; j++) both[j] = 0.005 + 0.01 * (((j * 7919 + seed) % 101) / 101);
  return both;
}

for (const steps of [1, 2]) {
  test(`Meta-SGD meta-gradient (θ and α, ${steps} inner step(s)) matches float64 finite differences`, () => {
    const { net, theta, data } = fixture(31 + steps);
    const params = withRandomLrs(theta, steps);
    const out = new Float64Array(params.length);
    metasgd.createMetaGradient(net, { innerLr: 0.01, innerSteps: steps, seedCompat: false })(params, data, out);
    const h = 1e-6;
    const fd = new Float64Array(params.length);
    const p = params.slice();
    for (let j = 0; j < params.length; j++) {
      p[j] = params[j] + h;
      const up = metaSgdObjective(net, p, data, steps);
      p[j] = params[j] - h;
      const down = metaSgdObjective(net, p, data, steps);
      p[j] = params[j];
      fd[j] = (up - down) / (2 * h);
    }
    const P = net.size;
    assert.ok(relErr(out.subarray(0, P), fd.subarray(0, P)) < 1e-6, `θ part ${relErr(out.subarray(0, P), fd.subarray(0, P))}`);
    assert.ok(relErr(out.subarray(P), fd.subarray(P)) < 1e-6, `α part ${relErr(out.subarray(P), fd.subarray(P))}`);
  });
}

test('Meta-SGD and Reptile: fast engine and tfjs autodiff agree to 1e-5', async () => {
  await initBackend(() => {});
  const { net, theta, data, layout } = fixture(41);
  for (const innerSteps of [1, 3]) {
    const opts = { innerLr: 0.01, innerSteps, seedCompat: false };
    const params = withRandomLrs(theta, innerSteps);
    const a = new Float64Array(params.length);
    const b = new Float64Array(params.length);
    metasgd.createMetaGradient(net, opts)(params, data, a);
    autodiff.createAutodiffMetaGradient(layout, 'metasgd', opts)(params, data, b);
    assert.ok(relErr(b, a) < 1e-5, `metasgd ${innerSteps}: ${relErr(b, a)}`);
    const c = new Float64Array(net.size);
    const d = new Float64Array(net.size);
    reptile.createMetaGradient(net, opts)(theta, data, c);
    autodiff.createAutodiffMetaGradient(layout, 'reptile', opts)(theta, data, d);
    assert.ok(relErr(d, c) < 1e-5, `reptile ${innerSteps}: ${relErr(d, c)}`);
  }
  assert.equal(tf.memory().numTensors, 0);
});

test('Reptile moves toward the weights adapted by k SGD steps: (θ − φ)/(k·α)', () => {
  const { net, theta, data } = fixture(42);
  const ws = net.workspace(16);
  const g = new Float64Array(net.size);
  const phi = theta.slice();
  for (let s = 0; s < 3; s++) {
    net.lossAndGrad(phi, data.support.x, data.support.y, ws, g);
    for (let j = 0; j < phi.length; j++) phi[j] -= 0.01 * g[j];
  }
  const out = new Float64Array(net.size);
  reptile.createMetaGradient(net, { innerLr: 0.01, innerSteps: 3, seedCompat: false })(theta, data, out);
  assert.ok(relErr(out, theta.map((t, j) => (t - phi[j]) / 0.03)) < 1e-12);
});

test('Reptile defaults to 3 inner steps; new algorithms train deterministically', () => {
  const a = train({ algo: 'reptile', tasks: 100, epochs: 1 });
  assert.equal(a.config.innerSteps, 3);
  assert.deepEqual(Array.from(train({ algo: 'reptile', tasks: 100, epochs: 1 }).replicas[0]), Array.from(a.replicas[0]));
  const m = train({ algo: 'metasgd', tasks: 100, epochs: 1, seed: 3 });
  assert.equal(m.replicas[0].length, 2 * paramLayout().size);
  assert.deepEqual(Array.from(train({ algo: 'metasgd', tasks: 100, epochs: 1, seed: 3 }).replicas[0]), Array.from(m.replicas[0]));
});

// that every meta-step draws its own task (none reused) is checked by a replay in replay.test.ts
test('fresh tasks are deterministic per seed and train on other tasks than the pool', () => {
  const a = train({ algo: 'maml', tasks: 50, epochs: 2, freshTasks: true, seed: 4 });
  const b = train({ algo: 'maml', tasks: 50, epochs: 2, freshTasks: true, seed: 4 });
  const pool = train({ algo: 'maml', tasks: 50, epochs: 2, seed: 4 });
  assert.deepEqual(Array.from(a.replicas[0]), Array.from(b.replicas[0]));
  assert.notDeepEqual(Array.from(a.replicas[0]), Array.from(pool.replicas[0]));
});

test('new options are validated', () => {
  const rejects = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof MamlInputError && re.test((e as Error).message));
  rejects(() => train({ algo: 'reptile', tasks: 5, seedCompat: true }), /^seedCompat = true is invalid: expected false for reptile/);
  rejects(() => train({ algo: 'metasgd', tasks: 5, seedCompat: true }), /^seedCompat = true is invalid/);
  rejects(() => train({ algo: 'maml', tasks: 5, freshTasks: 'yes' as never }), /^freshTasks = "yes" is invalid: expected true or false/);
  rejects(() => train({ algo: 'reptile', tasks: 5, innerSteps: 0 }), /^innerSteps = 0 is invalid/);
  rejects(() => train({ algo: 'metasgd', tasks: 5, innerLr: -1 }), /^innerLr = -1 is invalid/);
});

test('a Meta-SGD checkpoint keeps its learned learning rates, and evaluation uses them', () => {
  const trained = train({ algo: 'metasgd', tasks: 200, epochs: 1, replicas: 2 });
  const file = path.join(scratchDir('maml-sine-msgd-'), 'm.json');
  saveCheckpoint(file, trained);
  const body = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok('innerLr.hidden2.weight' in body.replicas[0]);
  const back = loadCheckpoint(file);
  assert.deepEqual(Array.from(back.replicas[1]), Array.from(trained.replicas[1]));
  // evaluation adapts with each weight's own learned rate: random non-zero rates, checked
  // against the independent reference (all rates 0 would pass whatever the rates did)
  const P = paramLayout().size;
  const params = back.replicas[0].slice();
  for (let j = P; j < 2 * P; j++) params[j] = 0.002 + 0.02 * (((j * 7919) % 101) / 101);
  const tasks = heldOutTasks(2);
  const result = evaluate([params], back.layout, tasks, { steps: 2, lr: 0.3 });
  tasks.forEach((task, t) => {
    const want = refCurve(params.subarray(0, P), [1, 40, 40, 1], task, 2, params.subarray(P));
    // the default engine computes in float32: ~7 digits (a wrong or missing rate moves these by far more)
    want.forEach((v, k) => assert.ok(Math.abs(result.perTask[k][t] - v) < 1e-5 * v, `task ${t}, k=${k}: ${result.perTask[k][t]} vs ${v}`));
  });
});
