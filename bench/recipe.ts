/**
 * The original's full training recipe in a process of its own, so its wall time and peak RSS
 * are measured alone: node --import tsx bench/recipe.ts [--workers N] [--tasks 10000] [--engine E] [--snapshots]
 * With --snapshots, every training keeps a snapshot as trainOrLoad and the CLI do (written to a
 * temporary folder every MAML_SNAPSHOT_SECONDS, default 2, and at each replica end), to measure
 * what snapshots cost.
 * Prints one JSON line: { seconds, maxRssMb, workers, tasks, engine, numTensors, snapshots, snapshotWrites }.
 * --engine: fast, wasm or autodiff (default: the library's default).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENGINES, resolveTrainConfig, RunState, train, TrainConfigInput, trainParallel, TrainOptions } from '../lib/index';
import type { EngineName } from '../lib/index';
import { snapshotEveryMs, snapshotPath, writeSnapshot } from '../lib/runtime/snapshot';

async function main() {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const workers = arg('--workers', 1);
  const tasks = arg('--tasks', 10_000);
  const snapshots = process.argv.includes('--snapshots');
  const e = process.argv.indexOf('--engine');
  const engine = e >= 0 ? (process.argv[e + 1] as EngineName) : undefined;
  if (engine !== undefined && !ENGINES.includes(engine)) throw new Error(`--engine ${engine}: expected one of ${ENGINES.join(', ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maml-recipe-'));
  let snapshotWrites = 0;
  const options = (input: TrainConfigInput): TrainOptions => {
    if (!snapshots) return {};
    const config = resolveTrainConfig(input);
    const file = snapshotPath(path.join(dir, `${config.algo}.json`));
    return { snapshotEveryMs: snapshotEveryMs(), onSnapshot: (state: RunState) => (snapshotWrites++, writeSnapshot(file, config, state)) };
  };
  const start = performance.now();
  for (const algo of ['maml', 'fomaml'] as const) {
    const config = { algo, replicas: 5, epochs: 4, tasks, engine };
    if (workers > 1) await trainParallel(config, { workers, ...options(config) });
    else train(config, options(config));
  }
  const transfer = { algo: 'transfer' as const, replicas: 1, epochs: 1, tasks, engine };
  train(transfer, options(transfer));
  const seconds = (performance.now() - start) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, workers, tasks, engine: resolveTrainConfig(transfer).engine, numTensors: tf.memory().numTensors, snapshots, snapshotWrites }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
