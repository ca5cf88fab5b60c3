/**
 * "Try it yourself": a live adaptation chart. Pick points, steps and a learning rate, and
 * watch what k SGD steps from each trained initialisation make of them.
 *
 *   const models = await playgroundModels(scale);   // trainOrLoad + recipe, as notebooks 4-8
 *   playground(models);                             // in a notebook
 *   writePlaygroundPage('reports/playground.html', models);
 *
 * The page computes with the library itself: esbuild bundles lib/display/playgroundBrowser.ts (which
 * imports playgroundEngine.ts -> fastMlp.ts, evaluate.ts, sineTask.ts) into one script that is
 * inlined with the models' parameters (full float64 JSON). No server, no network: plotly.js is
 * the only other script, loaded the way display.ts's charts load it.
 *
 * Explained in notebook 11 and README "Try it yourself".
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../runtime/checkpoint';
import { color } from './charts';
import { displayBundle, escapeHtml, plotHtml } from './display';
import { currentScale, randomModels, recipe, Scale, trainOrLoad } from '../experiment/experiment';
import { NAMES } from '../experiment/names';
import { DEFAULT_LAYER_SIZES } from '../model/params';
import type { Progress } from '../training/train';
import { AdaptInput, PlaygroundEngine, PlaygroundModelSpec, PlaygroundSpec } from './playgroundEngine';
import { ORIGINAL_TASKS, sampleTask } from '../tasks/sineTask';
import { Rng, STREAM } from '../tasks/rng';

/** One model the playground adapts: its key, name, color, initialisation and where it comes from. */
export type PlaygroundModel = PlaygroundModelSpec;

/** Seed of the held-out tasks (SINE_TEST) the page starts with and walks through. */
const HELD_OUT_SEED = 1;

/**
 * The seven initialisations, each replica 0 of the checkpoint the notebooks train (shared and
 * cached by trainOrLoad; at MAML_SCALE=quick the quick recipe).
 */
export async function playgroundModels(scale: Scale = currentScale(), progress?: (label: string) => (p: Progress) => void): Promise<PlaygroundModel[]> {
  const load = async (label: string, input: Parameters<typeof trainOrLoad>[0]) => (await trainOrLoad(input, progress?.(label))).replicas[0];
  const entries: [string, string, Float64Array, string][] = [
    ['maml', NAMES.maml, await load(NAMES.maml, recipe('maml', scale)),
      'textbook second-order MAML, model 0 (notebook 4)'],
    ['maml-original', NAMES.mamlLeak,
      await load(NAMES.mamlLeak, recipe('maml', scale, { seedCompat: true })),
      "MAML with the original's support-gradient leak (seedCompat), model 0 (notebooks 4 and 10)"],
    ['fomaml', NAMES.fomaml, await load(NAMES.fomaml, recipe('fomaml', scale)),
      'first-order MAML, model 0 (notebook 7)'],
    ['reptile', NAMES.reptile, await load(NAMES.reptile, recipe('reptile', scale)),
      'Reptile, 3 inner steps, model 0 (notebook 8)'],
    ['metasgd', NAMES.metasgd, await load(NAMES.metasgd, recipe('metasgd', scale)),
      'Meta-SGD, model 0 (notebook 8): adapts with its own learned per-parameter rates, not the slider'],
    ['transfer', NAMES.transfer, await load(NAMES.transfer, recipe('transfer', scale)),
      'transfer learning: one model trained on all tasks (notebook 5)'],
    ['random', NAMES.random, randomModels(1)[0],
      "a random initialisation, PyTorch's nn.Linear default (notebook 3)"],
  ];
  return entries.map(([key, name, params, about], i) => ({ key, name, color: color(i), params: Array.from(params), about }));
}

let bundleCache: string | null = null;

/** The page's script: lib/display/playgroundBrowser.ts and the library modules it imports, one IIFE. */
export function playgroundScript(): string {
  if (bundleCache !== null) return bundleCache;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'playgroundBrowser.ts')],
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', write: false, charset: 'utf8',
    legalComments: 'none', logLevel: 'silent',
  });
  bundleCache = result.outputFiles[0].text;
  if (/\brequire\(["']node:|from ["']node:/.test(bundleCache)) throw new Error('the playground bundle imports a Node module');
  return bundleCache;
}

/** JSON inside a <script>: nothing in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const TRUST_TEXT =
  'The playground runs JavaScript in the page, which Jupyter allows only in a trusted notebook: ' +
  'trust it (classic notebook: File > Trust Notebook; JupyterLab: the command "Trust Notebook"; or ' +
  '`jupyter trust notebooks/11-try-it-yourself.ipynb`) and run the cell again, or open ' +
  'reports/playground.html (written by `npm run report`) in a browser.';

const STYLE =
  '.maml-sine-playground{font-family:sans-serif;font-size:14px}' +
  '.maml-sine-playground .pg-row{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:.3em 0}' +
  '.maml-sine-playground input[type=range]{width:14em}' +
  '.maml-sine-playground table.pg-models{border-collapse:collapse;margin:.4em 0}' +
  '.maml-sine-playground table.pg-models td,.maml-sine-playground table.pg-models th{border:1px solid #ccc;padding:2px 8px;text-align:right}' +
  '.maml-sine-playground table.pg-models td:first-child{text-align:left}' +
  '.maml-sine-playground .pg-swatch{display:inline-block;width:1.6em;height:.35em;margin:0 .4em;vertical-align:middle}' +
  '.maml-sine-playground .pg-points ol{margin:.2em 0;padding-left:2em;columns:2}' +
  '.maml-sine-playground-note{border:1px solid #d9a400;background:#fff8e0;padding:.5em}';

/**
 * The playground as an HTML fragment: a note shown until the script runs (an untrusted
 * notebook never runs it), the controls, the chart (display.ts's plotHtml, which also loads
 * plotly.js in a live notebook), the models' table, the bundle and the start call.
 */
export function playgroundHtml(models: PlaygroundModel[], options: { steps?: number; lr?: number } = {}): string {
  const id = `maml-sine-playground-${randomBytes(6).toString('hex')}`;
  const spec: PlaygroundSpec = {
    id, layerSizes: [...DEFAULT_LAYER_SIZES], models, steps: options.steps ?? 5, lr: options.lr ?? 0.01, heldOutSeed: HELD_OUT_SEED,
  };
  // the first held-out task, drawn before the script replaces it with the live chart
  const first = sampleTask(new Rng(HELD_OUT_SEED, STREAM.heldOutTasks), ORIGINAL_TASKS);
  const truth = first.testSet(200);
  const support = first.supportSet();
  const initial = plotHtml({
    data: [
      { type: 'scatter', mode: 'lines', x: truth.x, y: truth.y, name: 'true function', line: { color: '#444', width: 3 } },
      { type: 'scatter', mode: 'markers', x: support.x, y: support.y, name: 'support points', marker: { size: 11, color: '#000' } },
    ],
    layout: { height: 480, xaxis: { range: [-5.3, 5.3] }, yaxis: { range: [-6.5, 6.5] }, title: { text: 'starting the playground…' } },
  }, `${id}-plot`);
  return (
    `<style>${STYLE}</style>\n<div id="${id}" class="maml-sine-playground">\n` +
    `<p id="${id}-note" class="maml-sine-playground-note">${escapeHtml(TRUST_TEXT)}</p>\n` +
    `<div id="${id}-body" style="display:none">\n` +
    `<script>document.getElementById(${scriptJson(`${id}-body`)}).style.display='';` +
    `document.getElementById(${scriptJson(`${id}-note`)}).style.display='none';</script>\n` +
    `<div class="maml-sine-playground-controls"></div>\n${initial}\n<div class="maml-sine-playground-models"></div>\n</div>\n` +
    `<script>${playgroundScript().replace(/<\/script/gi, '<\\/script')}</script>\n` +
    `<script>window.mamlPlayground.start(${scriptJson(spec)});</script>\n</div>`
  );
}

/** Show the playground in a notebook (HTML with its script, and what to do when it cannot run). */
export function playground(models: PlaygroundModel[], options: { steps?: number; lr?: number } = {}): void {
  displayBundle({
    'text/html': playgroundHtml(models, options),
    'text/plain': `<Playground: ${models.map((m) => m.name).join(', ')}. ${TRUST_TEXT}>`,
  });
}

/**
 * What to try, beside the chart in reports/playground.html. Each claim is measured over the
 * held-out tasks, and asserted, in notebook 11 (at whatever scale the report runs).
 */
export const PLAYGROUND_GUIDE = `
<h2>What to try</h2>
<ul>
<li><b>One step, then many.</b> Set the steps to 1: MAML (both), first-order MAML, Reptile and
Meta-SGD are already much closer to the task than transfer and the random initialisation, which
barely move from where they start (notebooks 4, 5, 7 and 8). Then slide on to 50.</li>
<li><b>A one-sided task</b> (the button; the original's example from notebook 4): all points on
one side of 0. After ten steps MAML's curve is closer to the whole sine, the side without points
included, than transfer's or the random initialisation's.</li>
<li><b>Two points.</b> Clear the points, click twice and set 1 step. Two points cannot pin down
a sine: is a model's guess through them better than transfer's almost flat curve near 0, the
average of all tasks (notebook 6)? Notebook 11 measures it over the held-out tasks.</li>
<li><b>A very large learning rate</b> (the slider's right end, 10, with the first 5 steps): plain
SGD runs away from every initialisation on most tasks (the table marks an MSE above 10,000 or not
finite as diverged; the curve leaves the chart), except Meta-SGD, which does not use the slider at all: it adapts with the
per-parameter rates it learned, tuned for one step (notebook 8). Those rates run away too when
repeated: slide the steps up and watch Meta-SGD's MSE.</li>
<li><b>${NAMES.mamlLeak}</b> was trained with the original's support-gradient leak: compare
it with textbook MAML on the same points; notebook 10 measures the difference over many tasks.</li>
</ul>
<p>Every suggestion is measured over the held-out tasks in notebook 11, "Try it yourself".</p>`;

/** A standalone page: plotly.js from `plotlySrc` (the report's assets/), everything else inline. */
export function playgroundPage(models: PlaygroundModel[], options: { plotlySrc?: string; scale?: string; steps?: number; lr?: number } = {}): string {
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>maml-sine: try it yourself</title>\n` +
    `<script src="${escapeHtml(options.plotlySrc ?? 'assets/plotly.js')}"></script>\n` +
    `<style>body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em;line-height:1.45}</style></head><body>\n` +
    `<p><a href="index.html">maml-sine reports</a> &middot; try it yourself</p>\n` +
    `<h1>Try it yourself: adapt the trained models live</h1>\n` +
    `<p>Each curve is one trained initialisation after the chosen number of plain SGD steps on the black ` +
    `points (the evaluation of notebook 3, computed in this page by the library's own engine, in float64). ` +
    `The test MSE is measured on the task's 50 evenly spaced points, as the notebooks measure it. ` +
    `Models${options.scale ? ` (scale ${escapeHtml(options.scale)})` : ''}: model 0 of each checkpoint.</p>\n` +
    `${playgroundHtml(models, options)}\n${PLAYGROUND_GUIDE}\n</body></html>\n`
  );
}

/** Write the standalone page atomically. */
export function writePlaygroundPage(file: string, models: PlaygroundModel[], options: { plotlySrc?: string; scale?: string } = {}): void {
  writeFileAtomic(file, playgroundPage(models, options));
}

/** npm run report: reports/playground.html from the checkpoints the notebooks trained. */
export async function writePlaygroundReport(outDir: string, scale: Scale = currentScale()): Promise<string> {
  const file = path.join(outDir, 'playground.html');
  writePlaygroundPage(file, await playgroundModels(scale), { scale: scale.name });
  return file;
}

/** The page's numbers for given points, computed in Node by the same engine (for tests and notebook 11). */
export function adaptAll(models: PlaygroundModel[], input: AdaptInput) {
  const engine = new PlaygroundEngine();
  return models.map((m) => ({ key: m.key, name: m.name, ...engine.adapt(Float64Array.from(m.params), input) }));
}
