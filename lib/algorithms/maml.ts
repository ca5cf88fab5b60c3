/**
 * MAML (Finn et al. 2017), second order, on the fast engine.
 *
 *   θ_{i+1} = θ_i − α ∇L_S(θ_i)                    (inner SGD steps on the support set S)
 *   meta-gradient = ∇_θ L_Q(θ_k) = Π_i (I − α H_S(θ_i)) · ∇L_Q(θ_k)
 *
 * The product is applied right to left with Hessian-vector products, so no Hessian is formed.
 * `firstOrder: true` drops the H terms (first-order MAML, see fomaml.ts).
 *
 * Explained in notebook 04 (the derivation) and notebook 02 (meta-gradients with Hessian-vector products).
 */
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp } from '../model/wasmMlp';
import { InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';
import { wasmMetaGradient } from './wasmMetaGradient';

/** The inner loop's options, and whether to drop the Hessian terms (first-order MAML). */
export interface MamlOptions extends InnerOptions {
  firstOrder: boolean;
}

/** MAML's meta-gradient on the fast engine; `capacity` bounds the points per set (its workspaces are allocated once). */
export function createMetaGradient(net: FastMlp, options: MamlOptions, capacity = 64): MetaGradientFn {
  const { innerSteps, innerLr, firstOrder, seedCompat } = options;
  const size = net.size;
  const supportPasses = Array.from({ length: innerSteps }, () => net.workspace(capacity));
  const queryPass = net.workspace(capacity);
  const thetas = Array.from({ length: innerSteps + 1 }, () => new Float64Array(size));
  const grad = new Float64Array(size);
  const hv = new Float64Array(size);
  const supportGradAtTheta = new Float64Array(size);

  return (theta, task, out) => {
    const { support, query } = task;
    thetas[0].set(theta);
    for (let i = 0; i < innerSteps; i++) {
      net.lossAndGrad(thetas[i], support.x, support.y, supportPasses[i], grad);
      if (i === 0 && seedCompat) supportGradAtTheta.set(grad);
      const from = thetas[i];
      const to = thetas[i + 1];
      for (let j = 0; j < size; j++) to[j] = from[j] - innerLr * grad[j];
    }
    const queryLoss = net.lossAndGrad(thetas[innerSteps], query.x, query.y, queryPass, out);
    if (!firstOrder) {
      for (let i = innerSteps - 1; i >= 0; i--) {
        net.hvp(thetas[i], out, supportPasses[i], hv);
        for (let j = 0; j < size; j++) out[j] -= innerLr * hv[j];
      }
    }
    if (seedCompat) for (let j = 0; j < size; j++) out[j] += supportGradAtTheta[j];
    return queryLoss;
  };
}

/** The same meta-gradient on the wasm engine: every vector in its memory, θ copied in and the result out once per task (or once per meta-batch, see WasmMetaGradientFn). */
export function createWasmMetaGradient(net: WasmMlp<Precision>, options: MamlOptions, capacity = 64): WasmMetaGradientFn {
  const { innerSteps, innerLr, firstOrder, seedCompat } = options;
  const size = net.size;
  const supportPasses = Array.from({ length: innerSteps }, () => net.tape(capacity));
  const queryPass = net.tape(capacity);
  const thetas = Array.from({ length: innerSteps + 1 }, () => net.vector(size));
  const grad = net.vector(size);
  const hv = net.vector(size);
  const meta = net.vector(size);
  const supportGradAtTheta = net.vector(size);

  return wasmMetaGradient(net, meta, (theta, task, sameTheta) => {
    const { support, query } = task;
    if (!sameTheta) net.setFromF64(thetas[0], theta);
    for (let i = 0; i < innerSteps; i++) {
      net.setPoints(supportPasses[i], support.x, support.y);
      // with the leak, the first step's gradient is kept where the end adds it
      const g = i === 0 && seedCompat ? supportGradAtTheta : grad;
      net.lossAndGrad(thetas[i], supportPasses[i], g);
      net.sgdStep(thetas[i + 1], thetas[i], innerLr, g);
    }
    net.setPoints(queryPass, query.x, query.y);
    const queryLoss = net.lossAndGrad(thetas[innerSteps], queryPass, meta);
    if (!firstOrder) {
      for (let i = innerSteps - 1; i >= 0; i--) {
        net.hvp(thetas[i], meta, supportPasses[i], hv);
        net.axpy(meta, -innerLr, hv);
      }
    }
    if (seedCompat) net.add(meta, supportGradAtTheta);
    return queryLoss;
  });
}
