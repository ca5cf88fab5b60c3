/**
 * What every algorithm module works with: a task's data, the inner loop's options and the
 * meta-gradient function each module's `createMetaGradient` returns (see registry.ts).
 *
 * Explained in notebook 04 (what one task contributes to a meta-step).
 */
import type { ParamLayout } from '../model/params';
import { DataSet } from '../tasks/sineTask';

/** What one task contributes to a meta-step: its K support points and fresh query points. */
export interface TaskData {
  support: DataSet;
  query: DataSet;
}

/** The inner loop of a meta-step: how many SGD steps on the support set, at which rate, and the original's leak. */
export interface InnerOptions {
  /** SGD steps on the support set inside a task (1 in the original) */
  innerSteps: number;
  /** α, the inner SGD learning rate (0.01) */
  innerLr: number;
  /** add the support-set gradient at θ to the meta-gradient, as the original's leak does */
  seedCompat: boolean;
}

/**
 * Every algorithm module exports `createMetaGradient(net, options)` that returns one of these:
 * it writes the gradient the outer Adam step should follow for one task into `out` and returns
 * the task's loss after adaptation (the query loss; for transfer, the support loss).
 */
export type MetaGradientFn = (theta: Float64Array, task: TaskData, out: Float64Array) => number;

/**
 * A wasm engine's meta-gradient: a MetaGradientFn that can also add its result to a meta-batch's
 * float64 sum in the engine's memory (`sum`, see WasmMlp.addressOf) and skip reading θ when
 * `sameTheta` says θ holds the values it read at the previous call (inside a meta-batch θ does
 * not change). Rounding θ to float32 for every task, and the result back to float64 before
 * adding it, cost ~2 µs of a paper-setting MAML task's ~30 (measured). The same bits as the
 * plain call followed by `sum += out`.
 */
export interface WasmMetaGradientFn extends MetaGradientFn {
  addTo(theta: Float64Array, task: TaskData, sum: Float64Array, sameTheta: boolean): number;
}

/**
 * The meta-gradient factories of the autodiff path (lib/tfjs/autodiff.ts, which checks that it
 * satisfies this). Declared here, not read with `typeof import('../tfjs/autodiff')`: that would put
 * tfjs's type declarations into every program that imports the registry, and tslab type-checks
 * a notebook's whole import graph when the notebook starts (about 2 s more per notebook).
 */
export interface AutodiffFactories {
  autodiffMaml(layout: ParamLayout, options: InnerOptions & { firstOrder: boolean }): MetaGradientFn;
  autodiffTransfer(layout: ParamLayout, options: InnerOptions): MetaGradientFn;
  autodiffReptile(layout: ParamLayout, options: InnerOptions): MetaGradientFn;
  autodiffMetaSgd(layout: ParamLayout, options: InnerOptions): MetaGradientFn;
}
