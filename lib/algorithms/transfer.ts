/**
 * Transfer learning as in the original: one ordinary training step per task on its support
 * points, so the model learns to fit all tasks at once (which drives it to their average).
 *
 * Explained in notebooks 05 and 06 (why transfer learns the average).
 */
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp } from '../model/wasmMlp';
import { InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';
import { wasmMetaGradient } from './wasmMetaGradient';

/** Transfer learning's gradient on the fast engine: the support loss's gradient at θ (no adaptation). */
export function createMetaGradient(net: FastMlp, _options: InnerOptions, capacity = 64): MetaGradientFn {
  const pass = net.workspace(capacity);
  return (theta, task, out) => net.lossAndGrad(theta, task.support.x, task.support.y, pass, out);
}

/** The same on the wasm engine. */
export function createWasmMetaGradient(net: WasmMlp<Precision>, _options: InnerOptions, capacity = 64): WasmMetaGradientFn {
  const pass = net.tape(capacity);
  const thetaVec = net.vector(net.size);
  const grad = net.vector(net.size);
  return wasmMetaGradient(net, grad, (theta, task, sameTheta) => {
    if (!sameTheta) net.setFromF64(thetaVec, theta);
    net.setPoints(pass, task.support.x, task.support.y);
    return net.lossAndGrad(thetaVec, pass, grad);
  });
}
