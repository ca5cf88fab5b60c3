import * as assert from 'node:assert/strict';
import { FastMlp, maml, paramLayout, initParams, Rng, sampleTask, TaskData, ORIGINAL_TASKS } from '../lib/index';

/** ‖a − b‖ / ‖b‖ over two arrays of the same length. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** A model, a task and its data, all from one seed. */
export function fixture(seed: number, options = ORIGINAL_TASKS) {
  const layout = paramLayout();
  const rng = new Rng(seed);
  const theta = initParams(rng);
  const task = sampleTask(rng, options);
  const data: TaskData = { support: task.supportSet(), query: task.querySet(rng) };
  const net = new FastMlp(layout);
  return { layout, rng, theta, task, data, net };
}

export function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

/** Central differences of f in float64 on every coordinate (the independent check of gradients). */
export function fdGradient(f: (t: Float64Array) => number, theta: Float64Array, h = 1e-6): Float64Array {
  const out = new Float64Array(theta.length);
  const t = theta.slice();
  for (let j = 0; j < theta.length; j++) {
    t[j] = theta[j] + h;
    const up = f(t);
    t[j] = theta[j] - h;
    const down = f(t);
    t[j] = theta[j];
    out[j] = (up - down) / (2 * h);
  }
  return out;
}

/** The MAML objective in float64, by plain forward passes and plain gradient steps. */
export function mamlObjective(net: FastMlp, theta: Float64Array, data: TaskData, innerLr: number, innerSteps: number): number {
  const ws = net.workspace(64);
  const g = new Float64Array(net.size);
  let p = theta.slice();
  for (let s = 0; s < innerSteps; s++) {
    net.lossAndGrad(p, data.support.x, data.support.y, ws, g);
    p = p.map((v, j) => v - innerLr * g[j]);
  }
  return net.loss(p, data.query.x, data.query.y, ws);
}

/**
 * Second-order MAML's meta-gradient through `innerSteps` inner steps against central finite
 * differences of the float64 objective, on the original's network (seeds 1-3), to 1e-6.
 */
export function assertMamlMetaGradientMatchesFd(innerSteps: number, innerLr = 0.01): void {
  for (const seed of [1, 2, 3]) {
    const { net, theta, data } = fixture(seed);
    const meta = new Float64Array(net.size);
    maml.createMetaGradient(net, { innerLr, innerSteps, seedCompat: false, firstOrder: false })(theta, data, meta);
    const fd = fdGradient((t) => mamlObjective(net, t, data, innerLr, innerSteps), theta);
    const err = relErr(meta, fd);
    assert.ok(err < 1e-6, `seed ${seed}, ${innerSteps} inner step(s): relative error ${err}`);
  }
}
