/**
 * First-order MAML: the meta-gradient is the query gradient at the adapted parameters,
 * ∇L_Q(θ_k), i.e. MAML with the Hessian terms (I − αH) replaced by I.
 */
import { FastMlp } from '../model/fastMlp';
import { createMetaGradient as createMaml } from './maml';
import { InnerOptions, MetaGradientFn } from './types';

export function createMetaGradient(net: FastMlp, options: InnerOptions, capacity?: number): MetaGradientFn {
  return createMaml(net, { ...options, firstOrder: true }, capacity);
}
