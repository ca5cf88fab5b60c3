/**
 * The readable path: the MLP as a pure function of a plain dictionary of tfjs tensors, and
 * MAML's meta-gradient by nested automatic differentiation (tf.grads inside tf.grads), as in
 * JAX's MAML tutorial. The notebooks explain MAML with this file; the fast engine
 * (fastMlp.ts) computes the same numbers by hand for bulk training, and the tests check both.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamLayout } from './params';
import { DataSet } from './sineTask';
import { InnerOptions, MetaGradientFn, TaskData } from './algorithms/types';

/** Parameters: `hidden1.weight` [40, 1], `hidden1.bias` [40], ..., `out.bias` [1]. */
export type Params = Record<string, tf.Tensor>;

export function toTensors(flat: Float64Array, layout: ParamLayout): Params {
  const params: Params = {};
  for (const e of layout.entries) params[e.name] = tf.tensor(Float32Array.from(flat.subarray(e.offset, e.offset + e.size)), e.shape);
  return params;
}

export function fromTensors(params: Params, layout: ParamLayout): Float64Array {
  const flat = new Float64Array(layout.size);
  for (const e of layout.entries) flat.set(params[e.name].dataSync(), e.offset);
  return flat;
}

function layerNames(params: Params): string[] {
  const hidden = Object.keys(params)
    .filter((k) => /^hidden\d+\.weight$/.test(k))
    .map((k) => k.slice(0, -'.weight'.length))
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  return [...hidden, 'out'];
}

/** forward(params, x): x is [n, 1]; ReLU after every layer but the last, as nn.Linear does x Wᵀ + b. */
export function forward(params: Params, x: tf.Tensor2D): tf.Tensor2D {
  const names = layerNames(params);
  let h: tf.Tensor2D = x;
  names.forEach((name, i) => {
    h = tf.add(tf.matMul(h, params[`${name}.weight`] as tf.Tensor2D, false, true), params[`${name}.bias`]);
    if (i < names.length - 1) h = tf.relu(h);
  });
  return h;
}

export function asColumns(set: DataSet): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return { x: tf.tensor2d(Float32Array.from(set.x), [set.x.length, 1]), y: tf.tensor2d(Float32Array.from(set.y), [set.y.length, 1]) };
}

export function mseLoss(params: Params, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(forward(params, x), y));
}

/** ∇ of the loss w.r.t. every parameter, as a dictionary with the same keys. */
export function lossGradients(params: Params, x: tf.Tensor2D, y: tf.Tensor2D): { loss: tf.Scalar; grads: Params } {
  const names = Object.keys(params);
  const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) =>
    mseLoss(Object.fromEntries(names.map((n, i) => [n, values[i]])), x, y),
  )(names.map((n) => params[n]));
  return { loss: value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])) };
}

/** One inner SGD step; returns new parameters θ − α ∇L(θ) (the input is untouched). */
export function innerStep(params: Params, x: tf.Tensor2D, y: tf.Tensor2D, innerLr: number): Params {
  const { grads } = lossGradients(params, x, y);
  return Object.fromEntries(Object.keys(params).map((n) => [n, tf.sub(params[n], tf.mul(innerLr, grads[n]))]));
}

export function adapt(params: Params, x: tf.Tensor2D, y: tf.Tensor2D, innerLr: number, steps: number): Params {
  let p = params;
  for (let i = 0; i < steps; i++) p = innerStep(p, x, y, innerLr);
  return p;
}

/** L_Q(adapt(θ)): the MAML objective for one task. Differentiating it gives second-order MAML. */
export function mamlLoss(params: Params, support: DataSet, query: DataSet, options: Pick<InnerOptions, 'innerLr' | 'innerSteps'>): tf.Scalar {
  const s = asColumns(support);
  const q = asColumns(query);
  return mseLoss(adapt(params, s.x, s.y, options.innerLr, options.innerSteps), q.x, q.y);
}

/**
 * The meta-gradient for one task, as a dictionary of tensors. Second order differentiates
 * through the inner steps (nested tf.grads); first order treats the adapted parameters as
 * fresh leaves (tfjs has no stopGradient, so the inner steps run outside the outer tape).
 */
export function metaGradient(params: Params, task: TaskData, options: InnerOptions & { firstOrder: boolean }): { loss: tf.Scalar; grads: Params } {
  const names = Object.keys(params);
  let result: { loss: tf.Scalar; grads: Params };
  if (options.firstOrder) {
    const s = asColumns(task.support);
    const q = asColumns(task.query);
    result = lossGradients(adapt(params, s.x, s.y, options.innerLr, options.innerSteps), q.x, q.y);
  } else {
    const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) =>
      mamlLoss(Object.fromEntries(names.map((n, i) => [n, values[i]])), task.support, task.query, options),
    )(names.map((n) => params[n]));
    result = { loss: value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])) };
  }
  if (options.seedCompat) {
    const s = asColumns(task.support);
    const leak = lossGradients(params, s.x, s.y).grads;
    result.grads = Object.fromEntries(names.map((n) => [n, tf.add(result.grads[n], leak[n])]));
  }
  return result;
}

/** Meta-SGD's objective: inner steps θ ← θ − α ⊙ ∇L_S(θ) with a learning rate per parameter. */
export function metaSgdLoss(params: Params, lrs: Params, support: DataSet, query: DataSet, innerSteps: number): tf.Scalar {
  const s = asColumns(support);
  const q = asColumns(query);
  let p = params;
  for (let i = 0; i < innerSteps; i++) {
    const { grads } = lossGradients(p, s.x, s.y);
    p = Object.fromEntries(Object.keys(p).map((n) => [n, tf.sub(p[n], tf.mul(lrs[n], grads[n]))]));
  }
  return mseLoss(p, q.x, q.y);
}

/** The autodiff path behind the same MetaGradientFn interface as the fast engine. */
export function createAutodiffMetaGradient(
  layout: ParamLayout,
  algo: 'maml' | 'fomaml' | 'transfer' | 'reptile' | 'metasgd',
  options: InnerOptions,
): MetaGradientFn {
  const P = layout.size;
  return (theta, task, out) =>
    tf.tidy(() => {
      const params = toTensors(theta.subarray(0, P), layout);
      const names = layout.entries.map((e) => e.name);
      if (algo === 'reptile') {
        const s = asColumns(task.support);
        const q = asColumns(task.query);
        const adapted = adapt(params, s.x, s.y, options.innerLr, options.innerSteps);
        const scale = 1 / (options.innerSteps * options.innerLr);
        for (const e of layout.entries) out.set(tf.mul(tf.sub(params[e.name], adapted[e.name]), scale).dataSync(), e.offset);
        return mseLoss(adapted, q.x, q.y).dataSync()[0];
      }
      if (algo === 'metasgd') {
        const lrs = toTensors(theta.subarray(P, 2 * P), layout);
        const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) =>
          metaSgdLoss(
            Object.fromEntries(names.map((n, i) => [n, values[i]])),
            Object.fromEntries(names.map((n, i) => [n, values[names.length + i]])),
            task.support, task.query, options.innerSteps,
          ),
        )([...names.map((n) => params[n]), ...names.map((n) => lrs[n])]);
        layout.entries.forEach((e, i) => {
          out.set(grads[i].dataSync(), e.offset);
          out.set(grads[names.length + i].dataSync(), P + e.offset);
        });
        return value.dataSync()[0];
      }
      let loss: tf.Scalar;
      let grads: Params;
      if (algo === 'transfer') {
        const s = asColumns(task.support);
        ({ loss, grads } = lossGradients(params, s.x, s.y));
      } else {
        ({ loss, grads } = metaGradient(params, task, { ...options, firstOrder: algo === 'fomaml' }));
      }
      for (const e of layout.entries) out.set(grads[e.name].dataSync(), e.offset);
      return loss.dataSync()[0];
    });
}
