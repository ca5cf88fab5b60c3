/**
 * The meta-gradients against independent float64 references: central finite differences of the
 * MAML objective L_Q(θ − α∇L_S(θ)) computed in float64, per coordinate and along directions.
 * The slower cases (three inner steps; tfjs against the float64 reference) are in
 * gradients.slow.test.ts, outside the unit tier.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as autodiff from '../lib/tfjs/autodiff';
import { initBackend } from '../lib/tfjs/autodiff';
import { fomaml, maml, transfer, FastMlp, TaskData } from '../lib/index';
import { assertMamlMetaGradientMatchesFd, fdGradient, fixture, mamlObjective, relErr } from './helpers';

const inner = { innerLr: 0.01, innerSteps: 1, seedCompat: false };

test('plain loss gradient matches float64 finite differences', () => {
  const { net, theta, data } = fixture(11);
  const ws = net.workspace(16);
  const g = new Float64Array(net.size);
  net.lossAndGrad(theta, data.support.x, data.support.y, ws, g);
  const fd = fdGradient((t) => net.loss(t, data.support.x, data.support.y, ws), theta);
  assert.ok(relErr(g, fd) < 1e-7, `relative error ${relErr(g, fd)}`);
});

test('Hessian-vector product matches finite differences of the gradient', () => {
  const { net, theta, data, rng } = fixture(12);
  const ws = net.workspace(16);
  const v = Float64Array.from({ length: net.size }, () => rng.uniform(-1, 1));
  const hv = new Float64Array(net.size);
  const g = new Float64Array(net.size);
  net.lossAndGrad(theta, data.support.x, data.support.y, ws, g);
  net.hvp(theta, v, ws, hv);
  const h = 1e-5;
  const gUp = new Float64Array(net.size);
  const gDown = new Float64Array(net.size);
  const other = net.workspace(16);
  net.lossAndGrad(theta.map((x, j) => x + h * v[j]), data.support.x, data.support.y, other, gUp);
  net.lossAndGrad(theta.map((x, j) => x - h * v[j]), data.support.x, data.support.y, other, gDown);
  const fd = gUp.map((u, j) => (u - gDown[j]) / (2 * h));
  assert.ok(relErr(hv, fd) < 1e-6, `relative error ${relErr(hv, fd)}`);
});

test('second-order MAML meta-gradient (1 inner step) matches float64 finite differences to 1e-6', () => assertMamlMetaGradientMatchesFd(1));

test('first-order MAML equals the query gradient at the adapted parameters', () => {
  const { net, theta, data } = fixture(7);
  const ws = net.workspace(16);
  const gs = new Float64Array(net.size);
  net.lossAndGrad(theta, data.support.x, data.support.y, ws, gs);
  const adapted = theta.map((v, j) => v - inner.innerLr * gs[j]);
  const expected = new Float64Array(net.size);
  net.lossAndGrad(adapted, data.query.x, data.query.y, ws, expected);
  const meta = new Float64Array(net.size);
  fomaml.createMetaGradient(net, inner)(theta, data, meta);
  assert.deepEqual(Array.from(meta), Array.from(expected));
});

test('seedCompat equals the textbook meta-gradient plus the support gradient (both orders, both engines)', async () => {
  await initBackend(() => {});
  const { net, theta, data, layout } = fixture(8);
  const ws = net.workspace(16);
  const gs = new Float64Array(net.size);
  net.lossAndGrad(theta, data.support.x, data.support.y, ws, gs);
  for (const firstOrder of [false, true]) {
    const textbook = new Float64Array(net.size);
    const leaky = new Float64Array(net.size);
    maml.createMetaGradient(net, { ...inner, firstOrder })(theta, data, textbook);
    maml.createMetaGradient(net, { ...inner, firstOrder, seedCompat: true })(theta, data, leaky);
    const expected = textbook.map((v, j) => v + gs[j]);
    assert.ok(relErr(leaky, expected) < 1e-14, `firstOrder=${firstOrder}`);
    const viaTf = new Float64Array(net.size);
    autodiff.createAutodiffMetaGradient(layout, firstOrder ? 'fomaml' : 'maml', { ...inner, seedCompat: true })(theta, data, viaTf);
    assert.ok(relErr(viaTf, expected) < 1e-4, `tfjs firstOrder=${firstOrder}: ${relErr(viaTf, expected)}`);
  }
});

test('transfer follows the plain support-set gradient', () => {
  const { net, theta, data } = fixture(9);
  const out = new Float64Array(net.size);
  const loss = transfer.createMetaGradient(net, inner)(theta, data, out);
  const fd = fdGradient((t) => net.loss(t, data.support.x, data.support.y, net.workspace(16)), theta);
  assert.ok(relErr(out, fd) < 1e-7);
  assert.ok(loss > 0);
});

test('the fast engine and tfjs autodiff give the same meta-gradients to 1e-5 (all algorithms, 1 and 2 inner steps)', async () => {
  await initBackend(() => {});
  for (const seed of [21, 22]) {
    const { net, theta, data, layout } = fixture(seed);
    for (const innerSteps of [1, 2]) {
      for (const seedCompat of [false, true]) {
        const opts = { innerLr: 0.01, innerSteps, seedCompat };
        const cases: [string, (o: Float64Array) => number, (o: Float64Array) => number][] = [
          ['maml', (o) => maml.createMetaGradient(net, { ...opts, firstOrder: false })(theta, data, o), (o) => autodiff.createAutodiffMetaGradient(layout, 'maml', opts)(theta, data, o)],
          ['fomaml', (o) => fomaml.createMetaGradient(net, opts)(theta, data, o), (o) => autodiff.createAutodiffMetaGradient(layout, 'fomaml', opts)(theta, data, o)],
        ];
        if (!seedCompat) cases.push(['transfer', (o) => transfer.createMetaGradient(net, opts)(theta, data, o), (o) => autodiff.createAutodiffMetaGradient(layout, 'transfer', opts)(theta, data, o)]);
        for (const [name, fast, viaTf] of cases) {
          const a = new Float64Array(net.size);
          const b = new Float64Array(net.size);
          const lossA = fast(a);
          const lossB = viaTf(b);
          assert.ok(relErr(b, a) < 1e-5, `${name} seed ${seed} steps ${innerSteps} seedCompat ${seedCompat}: ${relErr(b, a)}`);
          assert.ok(Math.abs(lossA - lossB) < 1e-5 * Math.max(1, lossA));
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, 0);
});
