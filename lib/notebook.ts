/**
 * The notebooks' entry point: the public API of lib/index plus the output helpers that only a
 * notebook (a tslab kernel) uses: Plotly charts, danfo tables, verdict cells, progress bars and
 * the playground. Loads no tfjs either (danfo loads when a table is first made); the autodiff
 * path and the backend choice are in lib/autodiff.
 *
 * @example
 *   import * as ms from './lib/notebook';
 *   ms.plot(ms.curvesFigure({ MAML: result }, 'test MSE after k steps'));
 *
 * Used by every notebook (notebooks/NN-*.ipynb import it as ./lib/notebook).
 */
export * from './index';

export type { Figure, MimeBundle } from './display/display';
export { plot, progressBar } from './display/display';
export { color, curvesFigure, fitFigure, tasksFigure } from './display/charts';
export { showFrame, summaryFrame, table, wideSummaryFrame } from './display/tables';
export type { Decision, Rule, Verdict, VerdictInput } from './display/verdict';
export { expectVerdict, pairedRatio, rules, say, verdict } from './display/verdict';
export type { PlaygroundModel } from './display/playground';
export { playground, playgroundModels } from './display/playground';
export { PlaygroundEngine } from './display/playgroundEngine';
