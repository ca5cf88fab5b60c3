/**
 * The original's full training recipe in a process of its own, so its wall time and peak RSS
 * are measured alone: node --import tsx bench/recipe.ts [--workers N] [--tasks 10000]
 * Prints one JSON line: { seconds, maxRssMb, workers, tasks, numTensors }.
 */
import * as tf from '@tensorflow/tfjs';
import { train, trainParallel } from '../lib/index';

async function main() {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const workers = arg('--workers', 1);
  const tasks = arg('--tasks', 10_000);
  const start = performance.now();
  for (const algo of ['maml', 'fomaml'] as const) {
    const config = { algo, replicas: 5, epochs: 4, tasks };
    if (workers > 1) await trainParallel(config, { workers });
    else train(config);
  }
  train({ algo: 'transfer', replicas: 1, epochs: 1, tasks });
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, workers, tasks, numTensors: tf.memory().numTensors }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
