/**
 * The notebooks' result tables (lib/display/tables.ts): real danfo DataFrames, rendered by our
 * own HTML and text printers, and a local DataFrame type that danfo's must keep fitting.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as dfd from 'danfojs-node';
import { DataFrame, dataFrameHtml, dataFrameText, formatCell, summaryFrame, wideSummaryFrame } from '../lib/display/tables';
import { EvalResult, StepSummary } from '../lib/evaluation/evaluate';

// Compile-time check (tsc runs over test/): danfo's DataFrame still fits the type the library
// declares for it instead of importing danfo's declarations.
const fits: DataFrame = new dfd.DataFrame([{ a: 1 }]);
void fits;

function result(summary: Omit<StepSummary, 'n'>[], tasks: number): EvalResult {
  return {
    steps: summary.map((s) => s.step), lr: 0.01, tasks, replicas: 2, perTask: [], perReplica: [],
    summary: summary.map((s) => ({ ...s, n: tasks - s.diverged })),
  };
}

const maml = result([
  { step: 0, mean: 2.5, ci95: 0.25, median: 2, diverged: 0 },
  { step: 1, mean: 0.4567, ci95: 0.0123, median: 0.3, diverged: 2 },
], 100);

test('cells: integers as they are, other numbers with the given decimals, empty for null', () => {
  assert.equal(formatCell(7), '7');
  assert.equal(formatCell(0.12345), '0.123');
  assert.equal(formatCell(0.12345, 1), '0.1');
  assert.equal(formatCell(Infinity), 'Infinity');
  assert.equal(formatCell(null), '');
  assert.equal(formatCell('x'), 'x');
});

test('summaryFrame: one row per model and step, the summary numbers in their columns, steps filtered', () => {
  const df = summaryFrame({ MAML: maml, '<b>': maml }, [1]);
  assert.ok(df instanceof dfd.DataFrame, 'a real danfo DataFrame');
  assert.deepEqual(df.columns, ['model', 'k', 'mean', 'ci95', 'median', 'diverged', 'tasks', 'replicas']);
  assert.deepEqual(df.values, [['MAML', 1, 0.4567, 0.0123, 0.3, 2, 100, 2], ['<b>', 1, 0.4567, 0.0123, 0.3, 2, 100, 2]]);
  assert.deepEqual(df.shape, [2, 8]);
  assert.equal(summaryFrame({ MAML: maml }).shape[0], 2, 'all steps without a filter');
});

test('wideSummaryFrame: one row per model, "mean ± ci" per step, diverged tasks named', () => {
  const df = wideSummaryFrame({ MAML: maml }, [0, 1]);
  assert.deepEqual(df.columns, ['model', 'k=0', 'k=1']);
  assert.deepEqual(df.values, [['MAML', '2.500 ± 0.250', '0.457 ± 0.012 (2 diverged)']]);
  assert.throws(() => wideSummaryFrame({ MAML: maml }, [5]), /step/);
});

test('HTML and text: header, index, escaped and formatted cells, aligned columns', () => {
  const df = summaryFrame({ MAML: maml, '<b>': maml }, [1]);
  const html = dataFrameHtml(df);
  assert.match(html, /^<table class="dataframe maml-sine-table">/);
  assert.match(html, /<tr><th><\/th><th>model<\/th><th>k<\/th><th>mean<\/th>/);
  assert.match(html, /<tr><th>1<\/th><td>&lt;b&gt;<\/td><td>1<\/td><td>0\.457<\/td><td>0\.012<\/td>/);
  assert.ok(!html.includes('<b>'), 'cell text is escaped');
  const lines = dataFrameText(df, 2).split('\n');
  assert.equal(lines.length, 3);
  assert.equal(new Set(lines.map((l) => l.length)).size, 1, 'every line as wide as the header');
  assert.match(lines[1], /^0 +MAML +1 +0\.46 +0\.01 +0\.30 +2 +100 +2$/);
});

test('a first table loads danfo without mathjs, request or xlsx; they load when a danfo function needs them, and danfo is the one a notebook imports', () => {
  // a process of its own: this file imported danfo already, and then nothing is deferred
  const script = `
    const tables = require(${JSON.stringify(require.resolve('../lib/display/tables'))});
    const entry = require.resolve('danfojs-node');
    const files = ['mathjs', 'request', 'xlsx'].map((name) => require.resolve(name, { paths: [entry] }));
    const loaded = () => files.map((f) => f in require.cache);
    const frame = tables.summaryFrame({});
    const afterTable = loaded();
    const dfd = require('danfojs-node');
    const sameClass = frame instanceof dfd.DataFrame;
    const median = new dfd.Series([1, 2, 3, 10]).median();
    const afterMedian = loaded();
    const mathjs = require('mathjs');
    process.stdout.write(JSON.stringify({ afterTable, sameClass, median, afterMedian, realMathjs: typeof mathjs.median === 'function' && mathjs.median([1, 5, 9]) === 5 }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { afterTable: [false, false, false], sameClass: true, median: 2.5, afterMedian: [true, false, false], realMathjs: true });
});
