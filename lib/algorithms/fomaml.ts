/**
 * First-order MAML: the meta-gradient is the query gradient at the adapted parameters,
 * ∇L_Q(θ_k), i.e. MAML with the Hessian terms (I − αH) replaced by I.
 *
 * Explained in notebook 07 (first-order MAML).
 */
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp } from '../model/wasmMlp';
import { createMetaGradient as createMaml, createWasmMetaGradient as createWasmMaml } from './maml';
import { InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';

/** First-order MAML's meta-gradient on the fast engine: MAML's (maml.ts) with `firstOrder: true`. */
export function createMetaGradient(net: FastMlp, options: InnerOptions, capacity?: number): MetaGradientFn {
  return createMaml(net, { ...options, firstOrder: true }, capacity);
}

/** The same on the wasm engine. */
export function createWasmMetaGradient(net: WasmMlp<Precision>, options: InnerOptions, capacity?: number): WasmMetaGradientFn {
  return createWasmMaml(net, { ...options, firstOrder: true }, capacity);
}
