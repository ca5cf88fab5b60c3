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

type Danfo = { DataFrame: new (rows: Record<string, unknown>[]) => DataFrame };

/**
 * What danfojs-node requires at start-up but a table never uses: mathjs (its statistics), request
 * (reading URLs) and xlsx (Excel files). Loading them took ~1 s of danfo's ~1.5 s, in every
 * notebook with a table (measured: `require('mathjs')` ~0.6-0.85 s, `request` ~0.2 s, `xlsx`
 * ~0.35 s, danfo's own modules and tfjs the rest).
 */
const DEFERRED = ['mathjs', 'request', 'xlsx'];

/**
 * A stand-in for module `filename` that loads it on first use (a property read or a call),
 * so that danfo's `require(...)` of it costs nothing until a danfo function needs it.
 * `__esModule` is answered without loading while danfo loads (its `__importDefault(require(...))`
 * reads it at once; none of the three sets it the way that would matter: request is a
 * function, mathjs and xlsx are read through their properties).
 */
function deferredModule(filename: string, loading: { now: boolean }): unknown {
  let real: Record<PropertyKey, unknown> | null = null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = () => (real ??= require(filename) as Record<PropertyKey, unknown>);
  return new Proxy(function deferred() {}, {
    get: (_target, key) => (key === '__esModule' && loading.now ? undefined : Reflect.get(load(), key)),
    has: (_target, key) => Reflect.has(load(), key),
    apply: (_target, self, args) => Reflect.apply(load() as unknown as (...a: unknown[]) => unknown, self, args),
  });
}

let danfoModule: Danfo | null = null;

/**
 * danfojs-node, loaded on first use with the modules in DEFERRED standing in for themselves
 * (deferredModule): their stand-ins sit in require.cache (which Node lets code add to) only
 * while danfo loads, so any later `require` of them gets the real module. danfo itself is
 * loaded and cached as usual: `import * as dfd from 'danfojs-node'` in a notebook gets the
 * same module and classes. If danfo is already loaded (a notebook imported it first), nothing
 * is deferred.
 */
function danfo(): Danfo {
  if (danfoModule !== null) return danfoModule;
  const entry = require.resolve('danfojs-node');
  const loading = { now: true };
  const placed: string[] = [];
  if (require.cache[entry] === undefined) {
    for (const name of DEFERRED) {
      const filename = require.resolve(name, { paths: [entry] });
      if (require.cache[filename] !== undefined) continue;
      require.cache[filename] = { id: filename, filename, loaded: true, exports: deferredModule(filename, loading), children: [], paths: [] } as unknown as NodeJS.Module;
      placed.push(filename);
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    danfoModule = require('danfojs-node') as Danfo;
  } finally {
    loading.now = false;
    for (const filename of placed) delete require.cache[filename];
  }
  return danfoModule;
}

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
