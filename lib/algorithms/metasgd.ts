/**
 * Meta-SGD (Li et al. 2017): MAML that also learns the inner learning rate, one per parameter.
 * The meta-parameters are [θ, α] (α has θ's shape); the inner step is θ' = θ − α ⊙ ∇L_S(θ).
 *
 *   ∂L_Q/∂θ_i = v_i − H_S(θ_i) (α ⊙ v_i),  v_k = ∇L_Q(θ_k), v_i = ∂L_Q/∂θ_{i+1} (backwards)
 *   ∂L_Q/∂α   = − Σ_i ∇L_S(θ_i) ⊙ v_{i+1}
 *
 * Second order, with Hessian-vector products as in maml.ts.
 *
 * Explained in notebook 08.
 */
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp } from '../model/wasmMlp';
import { InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';
import { wasmMetaGradient } from './wasmMetaGradient';

/** θ followed by α, initialised to the scalar inner learning rate everywhere. */
export function initMetaSgd(theta: Float64Array, innerLr: number): Float64Array {
  const both = new Float64Array(theta.length * 2);
  both.set(theta);
  both.fill(innerLr, theta.length);
  return both;
}

/** Meta-SGD's meta-gradient on the fast engine, for θ and α together (the meta-parameters are [θ, α]). */
export function createMetaGradient(net: FastMlp, options: InnerOptions, capacity = 64): MetaGradientFn {
  const { innerSteps } = options;
  const P = net.size;
  const passes = Array.from({ length: innerSteps }, () => net.workspace(capacity));
  const queryPass = net.workspace(capacity);
  const thetas = Array.from({ length: innerSteps + 1 }, () => new Float64Array(P));
  const grads = Array.from({ length: innerSteps }, () => new Float64Array(P));
  const v = new Float64Array(P);
  const u = new Float64Array(P);
  const hv = new Float64Array(P);
  return (params, task, out) => {
    const alpha = params.subarray(P, 2 * P);
    thetas[0].set(params.subarray(0, P));
    for (let i = 0; i < innerSteps; i++) {
      net.lossAndGrad(thetas[i], task.support.x, task.support.y, passes[i], grads[i]);
      const from = thetas[i];
      const to = thetas[i + 1];
      const g = grads[i];
      for (let j = 0; j < P; j++) to[j] = from[j] - alpha[j] * g[j];
    }
    const queryLoss = net.lossAndGrad(thetas[innerSteps], task.query.x, task.query.y, queryPass, v);
    const gAlpha = out.subarray(P, 2 * P);
    gAlpha.fill(0);
    for (let i = innerSteps - 1; i >= 0; i--) {
      const g = grads[i];
      for (let j = 0; j < P; j++) {
        gAlpha[j] -= g[j] * v[j];
        u[j] = alpha[j] * v[j];
      }
      net.hvp(thetas[i], u, passes[i], hv);
      for (let j = 0; j < P; j++) v[j] -= hv[j];
    }
    out.set(v, 0);
    return queryLoss;
  };
}

/** The same on the wasm engine: the meta-parameters [θ, α] and the gradient over both live in its memory. */
export function createWasmMetaGradient(net: WasmMlp<Precision>, options: InnerOptions, capacity = 64): WasmMetaGradientFn {
  const { innerSteps } = options;
  const P = net.size;
  const passes = Array.from({ length: innerSteps }, () => net.tape(capacity));
  const queryPass = net.tape(capacity);
  const params = net.vector(2 * P);
  const alpha = net.slice(params, P, P);
  // θ_0 is the first half of params (the passes read P entries)
  const thetas = [params, ...Array.from({ length: innerSteps }, () => net.vector(P))];
  const grads = Array.from({ length: innerSteps }, () => net.vector(P));
  const gradOut = net.vector(2 * P);
  const v = net.slice(gradOut, 0, P);
  const gAlpha = net.slice(gradOut, P, P);
  const u = net.vector(P);
  const hv = net.vector(P);
  return wasmMetaGradient(net, gradOut, (metaParams, task, sameTheta) => {
    if (!sameTheta) net.setFromF64(params, metaParams);
    for (let i = 0; i < innerSteps; i++) {
      net.setPoints(passes[i], task.support.x, task.support.y);
      net.lossAndGrad(thetas[i], passes[i], grads[i]);
      net.sgdStepRates(thetas[i + 1], thetas[i], alpha, grads[i], P);
    }
    net.setPoints(queryPass, task.query.x, task.query.y);
    const queryLoss = net.lossAndGrad(thetas[innerSteps], queryPass, v);
    gAlpha.array.fill(0);
    for (let i = innerSteps - 1; i >= 0; i--) {
      net.subtractProduct(gAlpha, grads[i], v);
      net.multiply(u, alpha, v);
      net.hvp(thetas[i], u, passes[i], hv);
      net.subtract(v, hv);
    }
    return queryLoss;
  });
}
