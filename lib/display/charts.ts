/**
 * Plotly figures for the notebooks, built as plain data (so they can be tested).
 *
 * Used by notebooks 01-10 for their charts.
 */
import type { Figure } from './display';
import type { EvalResult } from '../evaluation/evaluate';
import type { SineTask } from '../tasks/sineTask';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** The i-th color of the charts' palette (cycling), so a model keeps its color across charts. */
export function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

const baseLayout = (title: string, xTitle = 'x', yTitle = 'y') => ({
  title: { text: title },
  xaxis: { title: { text: xTitle } },
  yaxis: { title: { text: yTitle } },
  margin: { t: 50, r: 20, b: 50, l: 60 },
  height: 420,
  template: undefined,
});

/** Sine tasks drawn as curves on 100 evenly spaced points (the original's SineWaveTask.plot). */
export function tasksFigure(tasks: SineTask[], title: string, options: { color?: string; width?: number; names?: string[] } = {}): Figure {
  const data = tasks.map((task, i) => {
    const { x, y } = task.testSet(100);
    return {
      type: 'scatter', mode: 'lines', x, y,
      name: options.names?.[i] ?? `A=${task.amplitude.toFixed(2)}, φ=${task.phase.toFixed(2)}`,
      line: { color: options.color ?? color(i), width: options.width ?? 2 },
      showlegend: tasks.length <= 10,
      hoverinfo: tasks.length <= 10 ? undefined : 'skip',
    };
  });
  return { data, layout: baseLayout(title) };
}

/** The original's plot_sine_test: support points, the true function, the fit after n steps. */
export function fitFigure(task: SineTask, fit: { x: Float64Array; predictions: { step: number; y: Float64Array; mse: number }[] }, title: string): Figure {
  const truth = task.testSet(fit.x.length);
  const support = task.supportSet();
  return {
    data: [
      { type: 'scatter', mode: 'markers', x: support.x, y: support.y, name: 'Training points (support)', marker: { symbol: 'triangle-up', size: 10, color: '#000' } },
      { type: 'scatter', mode: 'lines', x: truth.x, y: truth.y, name: 'True function', line: { color: '#444', width: 3 } },
      ...fit.predictions.map((p, i) => ({
        type: 'scatter', mode: 'lines', x: fit.x, y: p.y,
        name: `After ${p.step} step${p.step === 1 ? '' : 's'} (MSE ${p.mse.toFixed(2)})`,
        line: { dash: 'dash', color: color(i) },
      })),
    ],
    layout: baseLayout(title),
  };
}

/**
 * The original's plot_sine_learning: mean test MSE against SGD steps k, one line per model,
 * with the 95% confidence band over tasks. Where more than half of the tasks diverged, the
 * mean of the rest describes nothing: the line stops there (the tables give the counts).
 */
export function curvesFigure(results: Record<string, EvalResult>, title: string, options: { logY?: boolean } = {}): Figure {
  const data: Record<string, unknown>[] = [];
  Object.entries(results).forEach(([name, result], i) => {
    const c = color(i);
    const shown = result.summary.map((s) => s.diverged <= result.tasks / 2);
    const mean = result.summary.map((s, k) => (shown[k] ? s.mean : NaN));
    // on a log axis a band below zero cannot be drawn: clip it just above zero
    const floor = options.logY ? 1e-6 : -Infinity;
    const lower = result.summary.map((s, k) => (shown[k] ? Math.max(floor, s.mean - s.ci95) : NaN));
    const upper = result.summary.map((s, k) => (shown[k] ? s.mean + s.ci95 : NaN));
    data.push({ type: 'scatter', mode: 'lines', x: result.steps, y: upper, line: { width: 0 }, showlegend: false, hoverinfo: 'skip', legendgroup: name });
    data.push({ type: 'scatter', mode: 'lines', x: result.steps, y: lower, line: { width: 0 }, fill: 'tonexty', fillcolor: rgba(c, 0.2), showlegend: false, hoverinfo: 'skip', legendgroup: name });
    data.push({
      type: 'scatter', mode: result.steps.length <= 20 ? 'lines+markers' : 'lines', x: result.steps, y: mean,
      name: `${name} (${result.replicas} model${result.replicas === 1 ? '' : 's'})`, line: { color: c, width: 2 }, legendgroup: name,
    });
  });
  const layout = baseLayout(title, 'SGD steps k on the support set', 'test MSE (mean ± 95% CI over tasks)') as Record<string, unknown>;
  if (options.logY) (layout.yaxis as Record<string, unknown>).type = 'log';
  return { data, layout };
}
