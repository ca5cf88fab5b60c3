/**
 * The slow half of gradients.test.ts (outside `npm run test:unit`, inside `npm test`): the
 * second-order meta-gradient through three inner steps, and tfjs's nested autodiff, each
 * against central finite differences of the float64 MAML objective on the original's network.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as autodiff from '../lib/tfjs/autodiff';
import { initBackend } from '../lib/tfjs/autodiff';
import { assertMamlMetaGradientMatchesFd, fdGradient, fixture, mamlObjective, relErr } from './helpers';

const inner = { innerLr: 0.01, innerSteps: 1, seedCompat: false };

test('second-order MAML meta-gradient (3 inner steps) matches float64 finite differences to 1e-6', () => assertMamlMetaGradientMatchesFd(3));

test('tfjs nested autodiff (float32) matches the float64 reference to 1e-4, and differs from first order', async () => {
  await initBackend(() => {});
  for (const seed of [4, 5, 6]) {
    const { net, theta, data, layout } = fixture(seed);
    const reference = fdGradient((t) => mamlObjective(net, t, data, inner.innerLr, 1), theta);
    const second = new Float64Array(net.size);
    const first = new Float64Array(net.size);
    autodiff.createAutodiffMetaGradient(layout, 'maml', inner)(theta, data, second);
    autodiff.createAutodiffMetaGradient(layout, 'fomaml', inner)(theta, data, first);
    const err = relErr(second, reference);
    assert.ok(err <= 1e-4, `seed ${seed}: autodiff vs float64 reference: ${err}`);
    // the Hessian term is far above float32 noise: the first-order gradient is measurably off
    const foErr = relErr(first, reference);
    assert.ok(foErr > 100 * err && foErr > 1e-3, `seed ${seed}: first-order differs by only ${foErr}`);
  }
  assert.equal(tf.memory().numTensors, 0);
});

