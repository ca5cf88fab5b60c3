/**
 * The readable path: the MLP as a pure function of a plain dictionary of tfjs tensors, and
 * MAML's meta-gradient by nested automatic differentiation (tf.grads inside tf.grads), as in
 * JAX's MAML tutorial. The notebooks explain MAML with this file; the fast engine
 * (fastMlp.ts) computes the same numbers by hand for bulk training, and the tests check both.
 *
 * A separate entry point: importing it loads tfjs (the main entry, lib/index, does not).
 * Explained in notebooks 02 (the model, nested gradients) and 04 (MAML written out).
 */
import * as tf from '@tensorflow/tfjs';
import { ParamLayout } from '../model/params';
import { DataSet } from '../tasks/sineTask';
import { AutodiffFactories, InnerOptions, MetaGradientFn, TaskData } from '../algorithms/types';
import { AlgoName, ALGORITHM } from '../algorithms/registry';

export { initBackend, BACKENDS } from './backend';
export type { BackendName } from './backend';

/** Parameters: `hidden1.weight` [40, 1], `hidden1.bias` [40], ..., `out.bias` [1]. */
export type Params = Record<string, tf.Tensor>;

/** A flat float64 parameter vector as a dictionary of float32 tensors (names and shapes from `layout`). */
export function toTensors(flat: Float64Array, layout: ParamLayout): Params {
  const params: Params = {};
  for (const e of layout.entries) params[e.name] = tf.tensor(Float32Array.from(flat.subarray(e.offset, e.offset + e.size)), e.shape);
  return params;
}

/** A dictionary of tensors as a flat float64 vector in `layout`'s order. */
export function fromTensors(params: Params, layout: ParamLayout): Float64Array {
  const flat = new Float64Array(layout.size);
  for (const e of layout.entries) flat.set(params[e.name].dataSync(), e.offset);
  return flat;
}

/** A new dictionary with `fn` applied to every entry (same keys, same order). */
export function mapParams(params: Params, fn: (tensor: tf.Tensor, name: string) => tf.Tensor): Params {
  return Object.fromEntries(Object.keys(params).map((n) => [n, fn(params[n], n)]));
}

/**
 * The value of `f` and its gradient with respect to every entry of every dictionary given,
 * as dictionaries with the same keys: tf.valueAndGrads over dictionaries instead of lists.
 */
export function valueAndGradsOf(f: (...dicts: Params[]) => tf.Scalar, ...dicts: Params[]): { value: tf.Scalar; grads: Params[] } {
  const keys = dicts.map((d) => Object.keys(d));
  const flat = dicts.flatMap((d, i) => keys[i].map((n) => d[n]));
  const split = (values: tf.Tensor[]): Params[] => {
    let at = 0;
    return keys.map((names) => Object.fromEntries(names.map((n) => [n, values[at++]])));
  };
  const { value, grads } = tf.valueAndGrads((...values: tf.Tensor[]) => f(...split(values)))(flat);
  return { value, grads: split(grads) };
}

function layerNames(params: Params): string[] {
  const hidden = Object.keys(params)
    .filter((k) => /^hidden\d+\.weight$/.test(k))
    .map((k) => k.slice(0, -'.weight'.length))
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  return [...hidden, 'out'];
}

/**
 * forward(params, x): x is [n, 1]; ReLU after every layer but the last, as nn.Linear does x Wᵀ + b.
 *
 * @example
 *   const params = toTensors(initParams(new Rng(0)), paramLayout());
 *   const y = forward(params, tf.tensor2d([[0.5]]));   // [1, 1]
 */
export function forward(params: Params, x: tf.Tensor2D): tf.Tensor2D {
  const names = layerNames(params);
  let h: tf.Tensor2D = x;
  names.forEach((name, i) => {
    h = tf.add(tf.matMul(h, params[`${name}.weight`] as tf.Tensor2D, false, true), params[`${name}.bias`]);
    if (i < names.length - 1) h = tf.relu(h);
  });
  return h;
}

/** A data set as two [n, 1] float32 columns. */
export function asColumns(set: DataSet): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return { x: tf.tensor2d(Float32Array.from(set.x), [set.x.length, 1]), y: tf.tensor2d(Float32Array.from(set.y), [set.y.length, 1]) };
}

/** Mean squared error of forward(params, x) against y. */
export function mseLoss(params: Params, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(forward(params, x), y));
}

/** ∇ of the loss w.r.t. every parameter, as a dictionary with the same keys. */
export function lossGradients(params: Params, x: tf.Tensor2D, y: tf.Tensor2D): { loss: tf.Scalar; grads: Params } {
  const { value, grads } = valueAndGradsOf((p) => mseLoss(p, x, y), params);
  return { loss: value, grads: grads[0] };
}

/**
 * One inner SGD step; returns new parameters θ − α ∇L(θ) (the input is untouched). `innerLr`
 * is one rate for all (MAML) or a dictionary with one rate per parameter (Meta-SGD: θ − α ⊙ ∇L).
 */
export function innerStep(params: Params, x: tf.Tensor2D, y: tf.Tensor2D, innerLr: number | Params): Params {
  const { grads } = lossGradients(params, x, y);
  return mapParams(params, (p, n) => tf.sub(p, tf.mul(typeof innerLr === 'number' ? innerLr : innerLr[n], grads[n])));
}

/** `steps` inner SGD steps from `params` (see innerStep for `innerLr`). */
export function adapt(params: Params, x: tf.Tensor2D, y: tf.Tensor2D, innerLr: number | Params, steps: number): Params {
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
  let result: { loss: tf.Scalar; grads: Params };
  if (options.firstOrder) {
    const s = asColumns(task.support);
    const q = asColumns(task.query);
    result = lossGradients(adapt(params, s.x, s.y, options.innerLr, options.innerSteps), q.x, q.y);
  } else {
    const { value, grads } = valueAndGradsOf((p) => mamlLoss(p, task.support, task.query, options), params);
    result = { loss: value, grads: grads[0] };
  }
  if (options.seedCompat) {
    const s = asColumns(task.support);
    const leak = lossGradients(params, s.x, s.y).grads;
    result.grads = mapParams(result.grads, (g, n) => tf.add(g, leak[n]));
  }
  return result;
}

/** Meta-SGD's objective: MAML's inner steps with a learning rate per parameter, θ ← θ − α ⊙ ∇L_S(θ). */
export function metaSgdLoss(params: Params, lrs: Params, support: DataSet, query: DataSet, innerSteps: number): tf.Scalar {
  const s = asColumns(support);
  const q = asColumns(query);
  return mseLoss(adapt(params, s.x, s.y, lrs, innerSteps), q.x, q.y);
}

/**
 * A MetaGradientFn on the autodiff path: `body` gets θ as a dictionary (and the flat vector),
 * writes the meta-gradient into `out` and returns the loss; every tensor is freed after it.
 */
function onTensors(layout: ParamLayout, body: (params: Params, theta: Float64Array, task: TaskData, out: Float64Array) => number): MetaGradientFn {
  return (theta, task, out) => tf.tidy(() => body(toTensors(theta.subarray(0, layout.size), layout), theta, task, out));
}

/** Writes a dictionary of gradients into `out` at `layout`'s offsets (+ `shift`). */
function writeGrads(grads: Params, layout: ParamLayout, out: Float64Array, shift = 0): void {
  for (const e of layout.entries) out.set(grads[e.name].dataSync(), shift + e.offset);
}

/** MAML (second order, or first order with `firstOrder`) on the autodiff path. */
export function autodiffMaml(layout: ParamLayout, options: InnerOptions & { firstOrder: boolean }): MetaGradientFn {
  return onTensors(layout, (params, _theta, task, out) => {
    const { loss, grads } = metaGradient(params, task, options);
    writeGrads(grads, layout, out);
    return loss.dataSync()[0];
  });
}

/** Transfer learning on the autodiff path: the support loss's gradient. */
export function autodiffTransfer(layout: ParamLayout, _options: InnerOptions): MetaGradientFn {
  return onTensors(layout, (params, _theta, task, out) => {
    const s = asColumns(task.support);
    const { loss, grads } = lossGradients(params, s.x, s.y);
    writeGrads(grads, layout, out);
    return loss.dataSync()[0];
  });
}

/** Reptile on the autodiff path: (θ − φ) / (k α) after k inner steps; the loss is φ's query loss. */
export function autodiffReptile(layout: ParamLayout, options: InnerOptions): MetaGradientFn {
  return onTensors(layout, (params, _theta, task, out) => {
    const s = asColumns(task.support);
    const q = asColumns(task.query);
    const adapted = adapt(params, s.x, s.y, options.innerLr, options.innerSteps);
    const scale = 1 / (options.innerSteps * options.innerLr);
    writeGrads(mapParams(params, (p, n) => tf.mul(tf.sub(p, adapted[n]), scale)), layout, out);
    return mseLoss(adapted, q.x, q.y).dataSync()[0];
  });
}

/** Meta-SGD on the autodiff path: gradients for θ, then for the rates α (stored after θ). */
export function autodiffMetaSgd(layout: ParamLayout, options: InnerOptions): MetaGradientFn {
  return onTensors(layout, (params, theta, task, out) => {
    const lrs = toTensors(theta.subarray(layout.size, 2 * layout.size), layout);
    const { value, grads } = valueAndGradsOf((p, a) => metaSgdLoss(p, a, task.support, task.query, options.innerSteps), params, lrs);
    writeGrads(grads[0], layout, out);
    writeGrads(grads[1], layout, out, layout.size);
    return value.dataSync()[0];
  });
}

// the registry loads this module on first use and types it by this interface (see AutodiffFactories)
({ autodiffMaml, autodiffTransfer, autodiffReptile, autodiffMetaSgd }) satisfies AutodiffFactories;

/** The autodiff path behind the same MetaGradientFn interface as the fast engine (see the registry). */
export function createAutodiffMetaGradient(layout: ParamLayout, algo: AlgoName, options: InnerOptions): MetaGradientFn {
  return ALGORITHM[algo].autodiff(layout, options);
}

/**
 * Track the tfjs tensors a notebook makes: `release()` frees every tensor made since and
 * returns how many are still allocated.
 */
export function trackTensors(): { release(): number } {
  tf.engine().startScope();
  return {
    release() {
      tf.engine().endScope();
      return tf.memory().numTensors;
    },
  };
}
