/**
 * The project's own PyTorch reference (reference/ in the repository): its recorded results,
 * reference/results.json, loaded for the notebooks by model name. The file is written by
 * `npm run reference` with its provenance (command, date, machine, torch version, seeds).
 *
 * Explained in notebooks 07 (timing) and 09 (the paper setting); reference/README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './experiment';
import { MamlInputError } from '../core/validate';

/** "-leak" = the original's code with its support-gradient leak; plain names = textbook. */
export const REFERENCE_MODELS = ['maml-leak', 'fomaml-leak', 'maml', 'fomaml', 'transfer', 'random'] as const;
/** A model of the PyTorch reference, by name. */
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];

/** How the PyTorch reference's results were made: command, date, versions, machine. */
export interface ReferenceProvenance {
  command: string;
  date: string;
  machine: string;
  python: string;
  torch: string;
  threads: number;
  notes: string;
}

/** One model of the PyTorch reference: its training recipe and its evaluation (mean, CI, median per step). */
export interface ReferenceRecipe {
  model: ReferenceModel;
  trainingSeed: number;
  evalLr: number;
  evalTasks: number;
  replicas: number;
  k: number[];
  mean: number[];
  ci95: number[];
  median: number[];
  diverged: number;
  trainSeconds: number | null;
  /** each model's mean test MSE after each step in `k` (over the tasks that did not diverge) */
  perModelMean: number[][];
}

/** The PyTorch reference's time per task for one algorithm and one version of the code. */
export interface ReferenceTiming {
  /** "original": the original notebook's code; "textbook": torch.autograd.grad on a parameter list */
  code: 'original' | 'textbook';
  algo: 'maml' | 'fomaml' | 'transfer';
  msPerTask: number;
  runs: number;
  tasksPerRun: number;
  statistic: string;
  /** every round's ms/task (rounds run each (code, algorithm) pair in turn, so index i pairs) */
  allRunsMs?: number[];
}

/** The PyTorch reference in the MAML paper's setting (K shots, fresh tasks), beside the paper's Table 2. */
export interface ReferencePaper {
  model: 'maml' | 'pretrained';
  iterations: number;
  metaBatch: number;
  shots: number;
  steps: number[];
  mean: number[];
  ci95: number[];
  median: number[];
  diverged: number[];
  evalTasks: number;
  /** the SGD step of the evaluation (recorded since the paper's protocol; before: 0.01) */
  lr?: number;
  /** 'random K': scored on K random test points per task, as the paper's code; absent: 100 grid points */
  testPoints?: string;
}

/** reference/results.json: provenance, recipes, timings and the paper setting. */
export interface ReferenceResults {
  provenance: ReferenceProvenance;
  recipe: ReferenceRecipe[];
  timing: ReferenceTiming[];
  paper: ReferencePaper[];
}

/** Where the recorded results live: reference/results.json in the project. */
export function referenceFile(root = projectRoot()): string {
  return path.join(root, 'reference', 'results.json');
}

function need(ok: boolean, file: string, what: string): void {
  if (!ok) throw new MamlInputError(`${file} is invalid: expected ${what}`, { option: 'reference file', value: file, expected: what });
}

/** The recorded results; a missing or malformed file is one clear error naming it. */
export function loadReference(file = referenceFile()): ReferenceResults {
  if (!fs.existsSync(file)) {
    throw new MamlInputError(`${file} not found: expected the PyTorch reference's recorded results (npm run reference writes it)`, {
      option: 'reference file', value: file, expected: "the PyTorch reference's recorded results",
    });
  }
  let data: ReferenceResults;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MamlInputError(`${file} is not valid JSON (${(e as Error).message})`, { option: 'reference file', value: file, expected: 'JSON' });
  }
  need(data !== null && typeof data === 'object', file, 'an object');
  need(typeof data.provenance?.command === 'string', file, 'provenance.command');
  for (const key of ['recipe', 'timing', 'paper'] as const) need(Array.isArray(data[key]), file, `a list "${key}"`);
  for (const r of data.recipe) {
    need((REFERENCE_MODELS as readonly string[]).includes(r.model), file, `recipe models among ${REFERENCE_MODELS.join(', ')}`);
    need(r.k.length === r.mean.length && r.k.length === r.ci95.length, file, `k, mean and ci95 of equal length (${r.model})`);
    need(Array.isArray(r.perModelMean) && r.perModelMean.length === r.replicas && r.perModelMean.every((m: unknown) => Array.isArray(m) && m.length === r.k.length),
      file, `perModelMean: one row per model, one mean per k (${r.model})`);
  }
  return data;
}

/**
 * The reference's full-recipe evaluation of one model: among its entries (at `evalLr`, 0.01 by
 * default), the one that averages the most replicas per task.
 */
export function referenceRecipe(model: ReferenceModel, results = loadReference(), evalLr = 0.01): ReferenceRecipe {
  const found = results.recipe
    .filter((r) => r.model === model && r.evalLr === evalLr)
    .sort((a, b) => b.replicas - a.replicas)[0];
  if (!found) {
    const have = results.recipe.map((r) => `${r.model} (lr ${r.evalLr})`).join(', ');
    throw new MamlInputError(`reference/results.json has no recipe entry for model "${model}" at lr ${evalLr} (it has: ${have})`, { option: 'model', value: model, expected: have });
  }
  return found;
}

/** Mean ± CI of a recorded model after k steps. */
export function referenceAt(recipe: ReferenceRecipe, k: number): { mean: number; ci95: number; median: number } {
  const i = recipe.k.indexOf(k);
  if (i < 0) throw new MamlInputError(`reference model "${recipe.model}" has no step k = ${k} (it has ${recipe.k.join(', ')})`, { option: 'k', value: k, expected: `one of ${recipe.k.join(', ')}` });
  return { mean: recipe.mean[i], ci95: recipe.ci95[i], median: recipe.median[i] };
}

/** The recorded ms per task of one algorithm as the original's code or the textbook runs it. */
export function referenceTiming(code: ReferenceTiming['code'], algo: ReferenceTiming['algo'], results = loadReference()): ReferenceTiming {
  const found = results.timing.find((t) => t.code === code && t.algo === algo);
  if (!found) throw new MamlInputError(`reference/results.json has no timing for ${code} ${algo}`, { option: 'algo', value: algo, expected: 'an algorithm the reference timed' });
  return found;
}

/** The recorded paper-setting evaluations of one model. */
export function referencePaper(model: ReferencePaper['model'], results = loadReference()): ReferencePaper[] {
  return results.paper.filter((p) => p.model === model);
}
