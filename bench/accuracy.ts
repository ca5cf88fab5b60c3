/**
 * npm run accuracy [-- --seeds 0,1,2]
 *
 * The original's full recipe (5 models x 4 epochs x 10,000 tasks, meta-batch 1; transfer one
 * epoch), evaluated on 1,000 held-out tasks, next to the PyTorch reference's numbers
 * (../shared/reference/README.md, 5 models averaged per task). Training seeds matter a lot
 * (single models differ by 2x), so every training seed's 5-model average is shown, then the
 * mean over seeds. Checkpoints are reused (checkpoints/), so a second run only evaluates.
 */
import { evaluateParallel, heldOutTasks, randomModels, recipe, SCALES, trainOrLoad, TrainConfigInput, paramLayout, EvalResult } from '../lib/index';

/** PyTorch reference, mean ± 95% CI at k = 0, 1, 5, 10 (../shared/reference/README.md). */
const REFERENCE: Record<string, [number, number][]> = {
  'MAML as the original (seedCompat)': [[4.363, 0.228], [1.808, 0.115], [0.877, 0.067], [0.797, 0.063]],
  'first-order MAML as the original (seedCompat)': [[4.356, 0.228], [2.193, 0.127], [1.376, 0.083], [1.295, 0.08]],
  'textbook MAML': [[4.472, 0.229], [1.497, 0.094], [0.818, 0.065], [0.74, 0.06]],
  'textbook first-order MAML': [[6.22, 0.233], [2.199, 0.123], [1.149, 0.08], [1.072, 0.079]],
  'transfer (lr 0.02)': [[4.343, 0.228], [4.324, 0.227], [4.278, 0.225], [4.33, 0.232]],
  'random init': [[4.406, 0.228], [4.181, 0.218], [4.104, 0.222], [4.266, 0.244]],
};
const K = [0, 1, 5, 10];

const seedsArg = process.argv.indexOf('--seeds');
const seeds = (seedsArg >= 0 ? process.argv[seedsArg + 1] : '0,1,2').split(',').map(Number);
const scale = SCALES.full;
const tasks = heldOutTasks(1000);
const layout = paramLayout();

const variants: [string, TrainConfigInput | null, number][] = [
  ['MAML as the original (seedCompat)', recipe('maml', scale, { seedCompat: true }), 0.01],
  ['first-order MAML as the original (seedCompat)', recipe('fomaml', scale, { seedCompat: true }), 0.01],
  ['textbook MAML', recipe('maml', scale), 0.01],
  ['textbook first-order MAML', recipe('fomaml', scale), 0.01],
  ['transfer (lr 0.02)', recipe('transfer', scale), 0.02],
  ['random init', null, 0.01],
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
      result = await evaluateParallel(randomModels(5, seed * 5), layout, tasks, { steps: 10, lr });
    } else {
      const trained = await trainOrLoad({ ...config, seed });
      trainSeconds = (trained.elapsedMs / 1000).toFixed(0) + (trained.cached ? ' (cached)' : '');
      result = await evaluateParallel(trained.replicas, layout, tasks, { steps: 10, lr });
    }
    means[name].push(K.map((k) => result.summary[k].mean));
    const per10 = result.perReplica.map((r) => r[10]);
    console.log(`| ${name} | ${seed} | ${K.map((k) => cell(result.summary[k].mean, result.summary[k].ci95)).join(' | ')} | ${Math.min(...per10).toFixed(2)}..${Math.max(...per10).toFixed(2)} | ${result.summary[10].diverged} | ${trainSeconds} |`);
  }
}
console.log('\nmean over training seeds vs the PyTorch reference (one training seed, 5 models):\n');
console.log('| model | ' + K.map((k) => `k=${k}: this project / reference`).join(' | ') + ' |');
console.log('|---|' + K.map(() => '---|').join(''));
for (const [name] of variants) {
  const avg = K.map((_, j) => means[name].reduce((s, row) => s + row[j], 0) / means[name].length);
  const ref = REFERENCE[name];
  console.log(`| ${name} | ${K.map((_, j) => `${avg[j].toFixed(3)} / ${cell(ref[j][0], ref[j][1])} ${Math.abs(avg[j] - ref[j][0]) <= ref[j][1] ? '(inside)' : '(outside)'}`).join(' | ')} |`);
}
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
