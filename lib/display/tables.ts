/**
 * Result tables as danfo DataFrames, shown as HTML tables (danfo has no HTML output of its own).
 * danfojs-node takes seconds to load, so it is required lazily, only by the notebooks.
 *
 * Used by notebooks 03-11 for their tables.
 */
import { atStep, EvalResult } from '../evaluation/evaluate';
import { escapeHtml, showTable } from './display';

/**
 * The part of a danfo DataFrame that these helpers read and the notebooks call. Declared here,
 * not imported from danfojs-node: danfo's type declarations (and tfjs's, which they include)
 * would be type-checked by tslab in every notebook at start-up, about 2 s each. The objects
 * are real danfo DataFrames (test/tables.test.ts checks that danfo's type still fits this one);
 * for the rest of danfo's API, `import * as dfd from 'danfojs-node'` in a notebook.
 */
export interface DataFrame {
  readonly columns: string[];
  readonly index: (string | number)[];
  readonly values: unknown[] | unknown[][];
  readonly shape: number[];
  print(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const danfo = (): { DataFrame: new (rows: Record<string, unknown>[]) => DataFrame } => require('danfojs-node');

/** A table cell as text: integers as they are, other numbers with `digits` decimals. */
export function formatCell(value: unknown, digits = 3): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Number.isFinite(value) ? value.toFixed(digits) : String(value);
  }
  return String(value ?? '');
}

/** An HTML table of a DataFrame: header, index and escaped cells. */
export function dataFrameHtml(df: DataFrame, digits = 3): string {
  const columns = df.columns as string[];
  const index = df.index as (string | number)[];
  const values = df.values as unknown[][];
  const head = `<tr><th></th>${columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('')}</tr>`;
  const body = values
    .map((row, i) => `<tr><th>${escapeHtml(String(index[i]))}</th>${row.map((v) => `<td>${escapeHtml(formatCell(v, digits))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="dataframe maml-sine-table">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A DataFrame as a plain-text table (the text part of a table's output). */
export function dataFrameText(df: DataFrame, digits = 3): string {
  const columns = ['', ...(df.columns as string[])];
  const rows = (df.values as unknown[][]).map((row, i) => [String((df.index as unknown[])[i]), ...row.map((v) => formatCell(v, digits))]);
  const widths = columns.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j])).join('  ');
  return [line(columns), ...rows.map(line)].join('\n');
}

/** Display a DataFrame as an HTML table in the notebook. */
export function showFrame(df: DataFrame, digits = 3): void {
  showTable(dataFrameHtml(df, digits), dataFrameText(df, digits));
}

/**
 * One row per model and step k: mean ± 95% CI over tasks, median, diverged tasks.
 * `steps` picks the columns to keep (default: all).
 */
export function summaryFrame(results: Record<string, EvalResult>, steps?: number[]): DataFrame {
  const rows: Record<string, string | number>[] = [];
  for (const [model, result] of Object.entries(results)) {
    for (const s of result.summary) {
      if (steps && !steps.includes(s.step)) continue;
      rows.push({ model, k: s.step, mean: s.mean, ci95: s.ci95, median: s.median, diverged: s.diverged, tasks: result.tasks, replicas: result.replicas });
    }
  }
  return new (danfo().DataFrame)(rows);
}

/** Wide form: one row per model, one "mean ± ci" column per step. */
export function wideSummaryFrame(results: Record<string, EvalResult>, steps: number[]): DataFrame {
  const rows = Object.entries(results).map(([model, result]) => {
    const row: Record<string, string> = { model };
    for (const k of steps) {
      const s = atStep(result, k);
      row[`k=${k}`] = `${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)}${s.diverged ? ` (${s.diverged} diverged)` : ''}`;
    }
    return row;
  });
  return new (danfo().DataFrame)(rows);
}

/** Display plain rows (one object per row, same keys) as a table. */
export function table(rows: Record<string, unknown>[], digits = 3): void {
  showFrame(new (danfo().DataFrame)(rows), digits);
}
