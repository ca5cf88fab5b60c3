/**
 * The algorithms, in one table: each name with its meta-gradient on every engine and the facts
 * the rest of the library asks about it (defaults, whether it uses the query set, whether the
 * original's support-gradient leak applies, whether it learns its inner learning rates).
 * Training, the autodiff path, the CLI's checks and help, the benchmark and the notebooks read
 * this table; adding an algorithm is one entry here plus its module.
 *
 * Explained in notebooks 04 (MAML), 05 (transfer), 07 (first-order MAML) and 08 (Reptile, Meta-SGD).
 */
import { FastMlp } from '../model/fastMlp';
import type { ParamLayout } from '../model/params';
import { Precision, WasmMlp } from '../model/wasmMlp';
import * as fomaml from './fomaml';
import * as maml from './maml';
import * as metasgd from './metasgd';
import * as reptile from './reptile';
import * as transfer from './transfer';
import { AutodiffFactories, InnerOptions, MetaGradientFn, WasmMetaGradientFn } from './types';

/** What the library knows about one algorithm. */
export interface Algorithm {
  /** one line for help texts */
  readonly summary: string;
  /** passes over the task pool when the config gives none (the original: 4, transfer 1) */
  readonly defaultEpochs: number;
  /** inner SGD steps when the config gives none (1; Reptile 3) */
  readonly defaultInnerSteps: number;
  /** whether a meta-step draws query points (transfer trains on the support set only) */
  readonly usesQuery: boolean;
  /** whether `seedCompat` (the original's support-gradient leak) applies: a defect of its MAML code */
  readonly leakApplies: boolean;
  /** whether the meta-parameters carry one learned inner learning rate per weight after the weights */
  readonly learnsRates: boolean;
  /** whether the original trains a single model of it, for its default epochs (transfer) */
  readonly singleModel: boolean;
  /** whether it meta-learns an initialisation for adaptation (all but transfer, the baseline) */
  readonly metaLearner: boolean;
  /** the fast engine's meta-gradient (float64, hand-derived); `capacity`: most points per set */
  fast(net: FastMlp, options: InnerOptions, capacity: number): MetaGradientFn;
  /**
   * a wasm engine's meta-gradient (the same derivation as `fast`, WebAssembly SIMD kernels) in
   * the net's precision: float64 for the `wasm` engine, float32 for `wasm-f32` (θ in and the
   * meta-gradient out stay float64)
   */
  wasm(net: WasmMlp<Precision>, options: InnerOptions, capacity: number): WasmMetaGradientFn;
  /** the autodiff path's meta-gradient (tfjs; loaded only when this is called) */
  autodiff(layout: ParamLayout, options: InnerOptions): MetaGradientFn;
}

/** The autodiff module, loaded on first use: tfjs costs ~100 MB and seconds to load. */
function autodiffPath(): AutodiffFactories {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../tfjs/autodiff') as AutodiffFactories;
}

const defaults = { defaultEpochs: 4, defaultInnerSteps: 1, usesQuery: true, leakApplies: false, learnsRates: false, singleModel: false, metaLearner: true };

/**
 * Every algorithm by name.
 *
 * @example
 *   const { fast } = ALGORITHM.maml;
 *   const metaGradient = fast(new FastMlp(paramLayout()), { innerSteps: 1, innerLr: 0.01, seedCompat: false }, 10);
 *   const loss = metaGradient(theta, { support, query }, grad); // grad: where Adam should go
 */
export const ALGORITHM = {
  maml: {
    ...defaults,
    summary: 'MAML, second order (Finn et al. 2017)',
    leakApplies: true,
    fast: (net, options, capacity) => maml.createMetaGradient(net, { ...options, firstOrder: false }, capacity),
    wasm: (net, options, capacity) => maml.createWasmMetaGradient(net, { ...options, firstOrder: false }, capacity),
    autodiff: (layout, options) => autodiffPath().autodiffMaml(layout, { ...options, firstOrder: false }),
  },
  fomaml: {
    ...defaults,
    summary: 'first-order MAML',
    leakApplies: true,
    fast: (net, options, capacity) => fomaml.createMetaGradient(net, options, capacity),
    wasm: (net, options, capacity) => fomaml.createWasmMetaGradient(net, options, capacity),
    autodiff: (layout, options) => autodiffPath().autodiffMaml(layout, { ...options, firstOrder: true }),
  },
  transfer: {
    ...defaults,
    summary: 'transfer learning: one training step per task on its support points',
    defaultEpochs: 1,
    usesQuery: false,
    singleModel: true,
    metaLearner: false,
    fast: (net, options, capacity) => transfer.createMetaGradient(net, options, capacity),
    wasm: (net, options, capacity) => transfer.createWasmMetaGradient(net, options, capacity),
    autodiff: (layout, options) => autodiffPath().autodiffTransfer(layout, options),
  },
  reptile: {
    ...defaults,
    summary: 'Reptile (Nichol et al. 2018)',
    defaultInnerSteps: 3,
    fast: (net, options, capacity) => reptile.createMetaGradient(net, options, capacity),
    wasm: (net, options, capacity) => reptile.createWasmMetaGradient(net, options, capacity),
    autodiff: (layout, options) => autodiffPath().autodiffReptile(layout, options),
  },
  metasgd: {
    ...defaults,
    summary: 'Meta-SGD: MAML with a learned learning rate per weight (Li et al. 2017)',
    learnsRates: true,
    fast: (net, options, capacity) => metasgd.createMetaGradient(net, options, capacity),
    wasm: (net, options, capacity) => metasgd.createWasmMetaGradient(net, options, capacity),
    autodiff: (layout, options) => autodiffPath().autodiffMetaSgd(layout, options),
  },
} as const satisfies Record<string, Algorithm>;

/** An algorithm's name: `maml`, `fomaml`, `transfer`, `reptile` or `metasgd`. */
export type AlgoName = keyof typeof ALGORITHM;

/** The algorithms' names, in the table's order. */
export const ALGORITHMS = Object.freeze(Object.keys(ALGORITHM) as AlgoName[]);

/** The facts and factories of one algorithm (typed as the general interface). */
export function algorithm(name: AlgoName): Algorithm {
  return ALGORITHM[name];
}

/** The names of the algorithms a fact holds for, e.g. `algorithmsWhere((a) => a.leakApplies)`. */
export function algorithmsWhere(fact: (a: Algorithm) => boolean): AlgoName[] {
  return ALGORITHMS.filter((name) => fact(ALGORITHM[name]));
}

/**
 * A model's meta-parameters from its weights: the weights themselves, or for an algorithm that
 * learns its rates, the weights followed by one rate per weight, all starting at `innerLr`.
 */
export function initialMetaParams(name: AlgoName, theta: Float64Array, innerLr: number): Float64Array {
  return ALGORITHM[name].learnsRates ? metasgd.initMetaSgd(theta, innerLr) : theta;
}
