/**
 * The fast engine's tape: hvp() reads what lossAndGrad() recorded, so it refuses a workspace
 * that lossAndGrad() did not just fill for the same θ (a silent wrong answer before).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MamlInputError } from '../lib/index';
import { fixture } from './helpers';

test('hvp refuses a workspace that lossAndGrad did not just fill for this θ', () => {
  const { net, theta, data, rng } = fixture(3);
  const v = Float64Array.from({ length: net.size }, () => rng.uniform(-1, 1));
  const hv = new Float64Array(net.size);
  const grad = new Float64Array(net.size);
  const refused = (fn: () => void, what: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof MamlInputError && err.option === 'ws' && what.test(err.message));
  const ws = net.workspace(16);
  refused(() => net.hvp(theta, v, ws, hv), /holds nothing/);
  net.loss(theta, data.support.x, data.support.y, ws);
  refused(() => net.hvp(theta, v, ws, hv), /holds a forward pass only/);
  net.lossAndGrad(theta, data.support.x, data.support.y, ws, grad);
  const copy = theta.slice();
  refused(() => net.hvp(copy, v, ws, hv), /holds the gradient of another θ/);
  // the gradient's tape of this θ: accepted, and a forward pass after it makes it stale again
  net.hvp(theta, v, ws, hv);
  assert.ok(hv.some((x) => x !== 0));
  net.forward(theta, data.query.x, ws);
  refused(() => net.hvp(theta, v, ws, hv), /holds a forward pass only/);
  // what was refused is exactly what would have been wrong: the tape of another θ gives another H·v
  const other = theta.map((x, j) => x + 0.5 * v[j]);
  net.lossAndGrad(other, data.support.x, data.support.y, ws, grad);
  const hvOther = new Float64Array(net.size);
  net.hvp(other, v, ws, hvOther);
  assert.ok(hvOther.some((x, j) => x !== hv[j]));
});
