/**
 * Reptile (Nichol, Achiam & Schulman 2018), as in the blog post the original follows: k plain
 * SGD steps on the task from θ give φ; the outer step moves θ toward φ. Handing Adam the
 * "gradient" (θ − φ)/(k · α) makes that a step toward the adapted weights, at the scale of a
 * loss gradient. No second derivatives, no query set in the update.
 *
 * Explained in notebook 08.
 */
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp } from '../model/wasmMlp';
import { InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';
import { wasmMetaGradient } from './wasmMetaGradient';

/** Reptile's update direction on the fast engine, (θ − φ)/(k·α), as a MetaGradientFn. */
export function createMetaGradient(net: FastMlp, options: InnerOptions, capacity = 64): MetaGradientFn {
  const { innerSteps, innerLr } = options;
  const pass = net.workspace(capacity);
  const phi = new Float64Array(net.size);
  const grad = new Float64Array(net.size);
  const scale = 1 / (innerSteps * innerLr);
  return (theta, task, out) => {
    phi.set(theta);
    for (let i = 0; i < innerSteps; i++) {
      net.lossAndGrad(phi, task.support.x, task.support.y, pass, grad);
      for (let j = 0; j < phi.length; j++) phi[j] -= innerLr * grad[j];
    }
    for (let j = 0; j < phi.length; j++) out[j] = (theta[j] - phi[j]) * scale;
    // reported loss: the query loss of the adapted weights (comparable with MAML's)
    return net.loss(phi, task.query.x, task.query.y, pass);
  };
}

/**
 * The same on a wasm engine. In float32 (wasm-f32) the direction is summed from the inner
 * gradients instead, Σ_i ∇L_S(φ_i) / k, which equals (θ − φ)/(k·α): the difference of two
 * nearly equal float32 vectors, divided by k·α, would magnify their rounding ~1/(k·α) = 33x
 * (measured in test/wasm-f32.test.ts's short training: 1.7e-5 relative drift from the fast
 * engine after 80 tasks with the difference, 5e-8 with the sum).
 */
export function createWasmMetaGradient(net: WasmMlp<Precision>, options: InnerOptions, capacity = 64): WasmMetaGradientFn {
  const { innerSteps, innerLr } = options;
  const pass = net.tape(capacity);
  const thetaVec = net.vector(net.size);
  const phi = net.vector(net.size);
  const grad = net.vector(net.size);
  const direction = net.vector(net.size);
  const scale = 1 / (innerSteps * innerLr);
  const summed = net.precision === 'f32';
  // θ is read at every call, whatever sameTheta says: the inner steps overwrite φ, its copy
  return wasmMetaGradient(net, direction, (theta, task) => {
    net.setFromF64(phi, theta);
    if (summed) direction.array.fill(0);
    else net.setFromF64(thetaVec, theta);
    net.setPoints(pass, task.support.x, task.support.y);
    for (let i = 0; i < innerSteps; i++) {
      net.lossAndGrad(phi, pass, grad);
      net.sgdStep(phi, phi, innerLr, grad);
      if (summed) net.axpy(direction, 1 / innerSteps, grad);
    }
    if (!summed) net.scaledDifference(direction, thetaVec, phi, scale);
    net.setPoints(pass, task.query.x, task.query.y);
    return net.loss(phi, pass);
  });
}
