/**
 * The fast engine (lib/fastMlp.ts) and the five algorithms' meta-gradients (lib/algorithms/)
 * against the independent point-by-point MLP of reference.ts and float64 finite differences,
 * on small networks whose layers all differ in width (the original's 40 × 40 hidden layer is
 * square, which hides a swapped fan-in and fan-out) and with one, two and three hidden layers.
 * Workspaces are reused with fewer points than before, so stale buffers would show.
 * No tfjs, a second or so: this is the file mutation testing runs for these modules
 * (test/gradients.test.ts does the same on the original's network, more slowly, plus tfjs).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FastMlp } from '../lib/model/fastMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng } from '../lib/tasks/rng';
import * as maml from '../lib/algorithms/maml';
import * as fomaml from '../lib/algorithms/fomaml';
import * as metasgd from '../lib/algorithms/metasgd';
import * as reptile from '../lib/algorithms/reptile';
import * as transfer from '../lib/algorithms/transfer';
import { TaskData } from '../lib/algorithms/types';
import { refGrad, refMse, refPredict } from './reference';
import { fdGradient, relErr } from './helpers';

const SHAPES = [
  [1, 7, 5, 1],
  [1, 6, 4, 3, 1],
  [1, 3, 1],
];

function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const e = relErr(actual, expected);
  assert.ok(e < tol, `${what}: relative error ${e} (tolerance ${tol})`);
}

const points = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-5, 5));
const randomVector = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));

/** A net of the given shape, its parameters and a task with support/query sets of different sizes. */
function setup(sizes: number[], seed: number) {
  const rng = new Rng(seed);
  const net = new FastMlp(paramLayout(sizes));
  const theta = initParams(rng, sizes);
  // larger biases than the default initialisation, so that every layer has both active and
  // inactive ReLU units on these points
  for (const e of net.layout.entries) if (e.name.endsWith('.bias')) for (let j = 0; j < e.size; j++) theta[e.offset + j] = rng.uniform(-1, 1);
  const data: TaskData = {
    support: { x: points(rng, 6), y: points(rng, 6) },
    query: { x: points(rng, 9), y: points(rng, 9) },
  };
  return { rng, net, theta, data };
}

/** k plain SGD steps on the support set with per-parameter rates, by the reference gradient. */
function refAdapt(sizes: number[], theta: ArrayLike<number>, data: TaskData, rates: ArrayLike<number>, steps: number): Float64Array {
  let p = Float64Array.from(theta);
  for (let s = 0; s < steps; s++) {
    const g = refGrad(p, sizes, data.support.x, data.support.y);
    p = p.map((v, j) => v - rates[j] * g[j]);
  }
  return p;
}

const constant = (value: number, n: number) => new Float64Array(n).fill(value);

test('fast engine: predictions and loss equal the reference MLP, also in a reused workspace with fewer points', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    const { rng, net, theta } = setup(sizes, 100 + i);
    assert.equal(net.size, theta.length);
    const ws = net.workspace(12);
    for (const n of [12, 5, 1]) {
      const x = points(rng, n);
      const y = points(rng, n);
      const pred = net.forward(theta, x, ws);
      assert.equal(pred.length, n, `${sizes}: one prediction per point`);
      assertNear(pred, refPredict(theta, sizes, x), 1e-13, `${sizes}, ${n} points: predictions`);
      const loss = net.loss(theta, x, y, ws);
      assert.ok(Math.abs(loss - refMse(theta, sizes, x, y)) <= 1e-13 * refMse(theta, sizes, x, y), `${sizes}, ${n} points: loss ${loss}`);
    }
    assert.throws(() => net.forward(theta, points(rng, 13), ws), /13 points exceed the workspace capacity 12/);
  }
});

test('fast engine: lossAndGrad equals the reference backpropagation, also after a larger pass in the same workspace', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    const { rng, net, theta } = setup(sizes, 200 + i);
    const ws = net.workspace(10);
    const grad = new Float64Array(net.size).fill(123); // must be overwritten, not added to
    for (const n of [10, 4, 1]) {
      const x = points(rng, n);
      const y = points(rng, n);
      const loss = net.lossAndGrad(theta, x, y, ws, grad);
      assert.ok(Math.abs(loss - refMse(theta, sizes, x, y)) <= 1e-13 * refMse(theta, sizes, x, y), `${sizes}, ${n} points: loss`);
      assertNear(grad, refGrad(theta, sizes, x, y), 1e-12, `${sizes}, ${n} points: gradient`);
    }
  }
});

test('fast engine: the Hessian-vector product equals finite differences of the reference gradient, and H is symmetric', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    const { rng, net, theta } = setup(sizes, 300 + i);
    const ws = net.workspace(10);
    const grad = new Float64Array(net.size);
    const hv = new Float64Array(net.size).fill(7); // must be overwritten
    const hu = new Float64Array(net.size);
    for (const n of [10, 3]) {
      const x = points(rng, n);
      const y = points(rng, n);
      const v = randomVector(rng, net.size);
      const u = randomVector(rng, net.size);
      net.lossAndGrad(theta, x, y, ws, grad);
      net.hvp(theta, v, ws, hv);
      const h = 1e-5;
      const up = refGrad(theta.map((t, j) => t + h * v[j]), sizes, x, y);
      const down = refGrad(theta.map((t, j) => t - h * v[j]), sizes, x, y);
      assertNear(
        hv,
        up.map((g, j) => (g - down[j]) / (2 * h)),
        1e-6,
        `${sizes}, ${n} points: H·v`,
      );
      net.hvp(theta, u, ws, hu);
      const uHv = u.reduce((s, a, j) => s + a * hv[j], 0);
      const vHu = v.reduce((s, a, j) => s + a * hu[j], 0);
      assert.ok(Math.abs(uHv - vHu) <= 1e-10 * Math.abs(uHv), `${sizes}: u·Hv = ${uHv}, v·Hu = ${vHu}`);
    }
  }
});

test('fast engine at the edges: a unit exactly at 0 is off (ReLU\'(0) = 0, as PyTorch), a point fitted exactly still bends H·v', () => {
  const sizes = [1, 7, 5, 1];
  const { rng, net, theta } = setup(sizes, 900);
  // first hidden layer: z = w·x + b; with b = 0 for units 0..2, every one of them is exactly 0 at x = 0
  const b1 = net.layout.entries.find((e) => e.name === 'hidden1.bias')!;
  for (let j = 0; j < 3; j++) theta[b1.offset + j] = 0;
  const x = Float64Array.from([0, 1.5, -2.5, 0]);
  const y = points(rng, 4);
  const ws = net.workspace(4);
  const grad = new Float64Array(net.size);
  net.lossAndGrad(theta, x, y, ws, grad);
  assertNear(grad, refGrad(theta, sizes, x, y), 1e-12, 'gradient with units at exactly 0');
  // a point the net already fits exactly has a zero output gradient, but the Hessian still
  // couples it to every direction: H·v must not skip it
  const x2 = points(rng, 3);
  const y2 = points(rng, 3);
  y2[0] = net.forward(theta, x2, ws)[0];
  const v = randomVector(rng, net.size);
  const hv = new Float64Array(net.size);
  net.lossAndGrad(theta, x2, y2, ws, grad);
  net.hvp(theta, v, ws, hv);
  const h = 1e-5;
  const up = refGrad(theta.map((t, j) => t + h * v[j]), sizes, x2, y2);
  const down = refGrad(theta.map((t, j) => t - h * v[j]), sizes, x2, y2);
  assertNear(
    hv,
    up.map((g, j) => (g - down[j]) / (2 * h)),
    1e-6,
    'H·v with one point fitted exactly',
  );
});

test('MAML (second order, 1 and 2 inner steps): the meta-gradient equals finite differences of the reference objective', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    for (const innerSteps of [1, 2]) {
      const { net, theta, data } = setup(sizes, 400 + 10 * i + innerSteps);
      const innerLr = 0.05;
      const objective = (t: Float64Array) => refMse(refAdapt(sizes, t, data, constant(innerLr, t.length), innerSteps), sizes, data.query.x, data.query.y);
      const meta = maml.createMetaGradient(net, { innerSteps, innerLr, seedCompat: false, firstOrder: false }, 9);
      const out = new Float64Array(net.size);
      const loss = meta(theta, data, out);
      const fd = fdGradient(objective, theta);
      assertNear(out, fd, 1e-6, `${sizes}, ${innerSteps} step(s): meta-gradient`);
      assert.ok(Math.abs(loss - objective(theta)) <= 1e-12 * loss, `${sizes}: query loss ${loss}`);
      // the Hessian terms matter here: first order is far from the true meta-gradient
      const first = new Float64Array(net.size);
      fomaml.createMetaGradient(net, { innerSteps, innerLr, seedCompat: false }, 9)(theta, data, first);
      assert.ok(relErr(first, fd) > 1e-3, `${sizes}: first order should differ (${relErr(first, fd)})`);
      // called again on another task, the closure's buffers do not carry over
      const other = setup(sizes, 500 + i).data;
      meta(theta, other, out);
      const fdOther = fdGradient((t) => refMse(refAdapt(sizes, t, other, constant(innerLr, t.length), innerSteps), sizes, other.query.x, other.query.y), theta);
      assertNear(out, fdOther, 1e-6, `${sizes}, ${innerSteps} step(s), second task: meta-gradient`);
    }
  }
});

test('first-order MAML: the query gradient at the adapted parameters; seedCompat adds the support gradient at θ (both orders)', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    const { net, theta, data } = setup(sizes, 600 + i);
    const innerLr = 0.05;
    const innerSteps = 2;
    const adapted = refAdapt(sizes, theta, data, constant(innerLr, theta.length), innerSteps);
    const queryGrad = refGrad(adapted, sizes, data.query.x, data.query.y);
    const supportGrad = refGrad(theta, sizes, data.support.x, data.support.y);
    const out = new Float64Array(net.size);
    const loss = fomaml.createMetaGradient(net, { innerSteps, innerLr, seedCompat: false }, 9)(theta, data, out);
    assertNear(out, queryGrad, 1e-12, `${sizes}: first-order meta-gradient`);
    assert.ok(Math.abs(loss - refMse(adapted, sizes, data.query.x, data.query.y)) <= 1e-12 * loss, `${sizes}: query loss`);
    fomaml.createMetaGradient(net, { innerSteps, innerLr, seedCompat: true }, 9)(theta, data, out);
    assertNear(out, queryGrad.map((g, j) => g + supportGrad[j]), 1e-12, `${sizes}: first order + seedCompat`);
    const objective = (t: Float64Array) => refMse(refAdapt(sizes, t, data, constant(innerLr, t.length), innerSteps), sizes, data.query.x, data.query.y);
    const fd = fdGradient(objective, theta);
    maml.createMetaGradient(net, { innerSteps, innerLr, seedCompat: true, firstOrder: false }, 9)(theta, data, out);
    assertNear(out, fd.map((g, j) => g + supportGrad[j]), 1e-6, `${sizes}: second order + seedCompat`);
  }
});

test('Meta-SGD: θ then the rates; the meta-gradient over both equals finite differences, with rates that differ per weight', () => {
  const theta0 = Float64Array.from([1, -2, 3]);
  assert.deepEqual([...metasgd.initMetaSgd(theta0, 0.25)], [1, -2, 3, 0.25, 0.25, 0.25]);
  for (const [i, sizes] of SHAPES.entries()) {
    const { rng, net, theta, data } = setup(sizes, 700 + i);
    const P = net.size;
    const params = new Float64Array(2 * P);
    params.set(theta);
    for (let j = 0; j < P; j++) params[P + j] = rng.uniform(0.001, 0.1);
    const innerSteps = 2;
    const objective = (p: Float64Array) => refMse(refAdapt(sizes, p.subarray(0, P), data, p.subarray(P), innerSteps), sizes, data.query.x, data.query.y);
    const out = new Float64Array(2 * P).fill(5); // the rates' half must be overwritten
    const meta = metasgd.createMetaGradient(net, { innerSteps, innerLr: 0.01, seedCompat: false }, 9);
    const loss = meta(params, data, out);
    const fd = fdGradient(objective, params);
    assertNear(out.subarray(0, P), fd.subarray(0, P), 1e-6, `${sizes}: gradient over θ`);
    assertNear(out.subarray(P), fd.subarray(P), 1e-6, `${sizes}: gradient over the rates`);
    assert.ok(Math.abs(loss - objective(params)) <= 1e-12 * loss, `${sizes}: query loss`);
    meta(params, data, out);
    assertNear(out, fd, 1e-6, `${sizes}: the same call again gives the same gradient`);
  }
});

test('Reptile: (θ − φ) / (k·α) after k reference SGD steps; transfer: the support gradient; both with their losses', () => {
  for (const [i, sizes] of SHAPES.entries()) {
    const { net, theta, data } = setup(sizes, 800 + i);
    const innerLr = 0.02;
    const innerSteps = 3;
    const phi = refAdapt(sizes, theta, data, constant(innerLr, theta.length), innerSteps);
    const out = new Float64Array(net.size);
    const meta = reptile.createMetaGradient(net, { innerSteps, innerLr, seedCompat: false }, 9);
    const loss = meta(theta, data, out);
    assertNear(
      out,
      theta.map((t, j) => (t - phi[j]) / (innerSteps * innerLr)),
      1e-10,
      `${sizes}: Reptile direction`,
    );
    assert.ok(Math.abs(loss - refMse(phi, sizes, data.query.x, data.query.y)) <= 1e-12 * loss, `${sizes}: Reptile loss (query, adapted)`);
    const again = new Float64Array(net.size);
    meta(theta, data, again);
    assert.deepEqual([...again], [...out], `${sizes}: Reptile starts from θ at every call`);
    const tLoss = transfer.createMetaGradient(net, { innerSteps: 1, innerLr, seedCompat: false }, 9)(theta, data, out);
    assertNear(out, refGrad(theta, sizes, data.support.x, data.support.y), 1e-12, `${sizes}: transfer gradient`);
    assert.ok(Math.abs(tLoss - refMse(theta, sizes, data.support.x, data.support.y)) <= 1e-12 * tLoss, `${sizes}: transfer loss (support)`);
  }
});
