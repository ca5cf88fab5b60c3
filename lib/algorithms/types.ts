import { DataSet } from '../tasks/sineTask';

/** What one task contributes to a meta-step: its K support points and fresh query points. */
export interface TaskData {
  support: DataSet;
  query: DataSet;
}

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
