/** maml-sine's library: everything the notebooks, the CLI and the tests import. */
export * from './rng';
export * from './validate';
export * from './sineTask';
export * from './params';
export * from './fastMlp';
export * from './adam';
export * from './train';
export * from './evaluate';
export * from './checkpoint';
export * from './progress';
export * from './version';
export type { TaskData, InnerOptions, MetaGradientFn } from './algorithms/types';
export * as maml from './algorithms/maml';
export * as fomaml from './algorithms/fomaml';
export * as transfer from './algorithms/transfer';
export * as autodiff from './autodiff';
export { initBackend, BACKENDS } from './backend';
