/**
 * npm run accuracy [-- --seeds 0,1,2]
 *
 * The original's full recipe (5 models x 4 epochs x 10,000 tasks, meta-batch 1; transfer one
 * epoch), evaluated on 1,000 held-out tasks, next to the project's PyTorch reference
 * (reference/results.json, written by `npm run reference`; 5 models averaged per task, one
 * training seed). Training seeds matter a lot (single models differ by up to ~3.7x at k = 10), so every training
 * seed's 5-model average is shown, then the mean over seeds. Transfer is evaluated at both SGD
 * learning rates the original uses: 0.01 (its 100-step comparison) and 0.02 (its fit plot).
 * Checkpoints are reused (checkpoints/), so a second run only evaluates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateParallel, heldOutTasks, projectRoot, randomModels, recipe, SCALES, trainOrLoad, TrainConfigInput, paramLayout, EvalResult } from '../lib/index';

interface ReferenceEntry { model: string; trainingSeed: number; evalLr: number; k: number[]; mean: (number | null)[]; ci95: (number | null)[]; note?: string }

/** The reference's 0..10-step entry of a model at an SGD learning rate, or null. */
function referenceEntry(model: string, lr: number): ReferenceEntry | null {
  const file = path.join(projectRoot(__dirname), 'reference', 'results.json');
  if (!fs.existsSync(file)) return null;
  const recipe = (JSON.parse(fs.readFileSync(file, 'utf8')).recipe ?? []) as ReferenceEntry[];
  return recipe.find((e) => e.model === model && e.trainingSeed === 0 && e.evalLr === lr && e.k.length === 11 && e.note === undefined) ?? null;
}
const K = [0, 1, 5, 10];

const seedsArg = process.argv.indexOf('--seeds');
const seeds = (seedsArg >= 0 ? process.argv[seedsArg + 1] : '0,1,2').split(',').map(Number);
const scale = SCALES.full;
const tasks = heldOutTasks(1000);
const layout = paramLayout();

/** [name, training config (null: random init), SGD lr, the reference's model name] */
const variants: [string, TrainConfigInput | null, number, string][] = [
  ['MAML as the original (seedCompat)', recipe('maml', scale, { seedCompat: true }), 0.01, 'maml-leak'],
  ['first-order MAML as the original (seedCompat)', recipe('fomaml', scale, { seedCompat: true }), 0.01, 'fomaml-leak'],
  ['textbook MAML', recipe('maml', scale), 0.01, 'maml'],
  ['textbook first-order MAML', recipe('fomaml', scale), 0.01, 'fomaml'],
  ['transfer, SGD lr 0.01 (the original\'s 100-step comparison)', recipe('transfer', scale), 0.01, 'transfer'],
  ['transfer, SGD lr 0.02 (the original\'s fit plot)', recipe('transfer', scale), 0.02, 'transfer'],
  ['random init', null, 0.01, 'random'],
];

async function main() {
const cell = (m: number, h: number) => `${m.toFixed(3)} ± ${h.toFixed(3)}`;
console.log(`full recipe, 1,000 held-out tasks, training seeds ${seeds.join(', ')}; mean test MSE ± 95% CI over tasks (models averaged per task)\n`);
console.log('| model | training seed | ' + K.map((k) => `k=${k}`).join(' | ') + ' | per-model k=10 (min..max) | diverged tasks | train s |');
console.log('|---|---|' + K.map(() => '---|').join('') + '---|---|---|');
const means: Record<string, number[][]> = {};
for (const [name, config, lr] of variants) {
  means[name] = [];
  for (const seed of seeds) {
    let result: EvalResult;
    let trainSeconds = '';
    if (config === null) {
      result = await evaluateParallel(randomModels(5, seed * 5), layout, tasks, { steps: 10, lr, engine: 'wasm' });
    } else {
      // the fast engine and float64 evaluation, as the README's table was recorded (both defaults are wasm-f32 since)
      const trained = await trainOrLoad({ ...config, seed, engine: 'fast' });
      trainSeconds = (trained.elapsedMs / 1000).toFixed(0) + (trained.cached ? ' (cached)' : '');
      result = await evaluateParallel(trained.replicas, layout, tasks, { steps: 10, lr, engine: 'wasm' });
    }
    means[name].push(K.map((k) => result.summary[k].mean));
    const per10 = result.perReplica.map((r) => r[10]);
    console.log(`| ${name} | ${seed} | ${K.map((k) => cell(result.summary[k].mean, result.summary[k].ci95)).join(' | ')} | ${Math.min(...per10).toFixed(2)}..${Math.max(...per10).toFixed(2)} | ${result.summary[10].diverged} | ${trainSeconds} |`);
  }
}
console.log('\nmean over training seeds vs the PyTorch reference (reference/results.json: one training seed, 5 models, its own 1,000 held-out tasks):\n');
console.log('| model | ' + K.map((k) => `k=${k}: this project / reference`).join(' | ') + ' |');
console.log('|---|' + K.map(() => '---|').join(''));
for (const [name, , lr, refName] of variants) {
  const avg = K.map((_, j) => means[name].reduce((s, row) => s + row[j], 0) / means[name].length);
  const ref = referenceEntry(refName, lr);
  const refCell = (j: number) => {
    const [m, h] = ref === null ? [null, null] : [ref.mean[K[j]], ref.ci95[K[j]]];
    if (m === null || h === null) return `${avg[j].toFixed(3)} / n/a`;
    return `${avg[j].toFixed(3)} / ${cell(m, h)} ${Math.abs(avg[j] - m) <= h ? '(inside)' : '(outside)'}`;
  };
  console.log(`| ${name} | ${K.map((_, j) => refCell(j)).join(' | ')} |`);
}
if (referenceEntry('maml', 0.01) === null) console.log('\n(reference/results.json has no recipe entries: run `npm run reference -- recipe` and `merge`, see reference/README.md)');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
