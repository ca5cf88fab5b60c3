/**
 * Training-loop replays: `train()`, the CLI and a checkpoint round trip must give the parameters
 * of an independent loop written here from the lowest-level pieces: the seeded generator, the
 * textbook meta-gradient of ONE task (checked against finite differences in
 * gradients.test.ts), the support gradient, and the reference Adam of reference.ts. The loop
 * spells out what train() is supposed to do: a new order of the pool every epoch (or fresh
 * tasks), one query draw per task, meta-batches averaged over their own size (the last one may
 * be smaller), and for seedCompat the support gradient at θ added to each task's meta-gradient.
 *
 * Each replay can also be run with one planted bug, and every test checks that the bug moves
 * the parameters far beyond the tolerance, so a test here cannot pass for the wrong loop.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as maml from '../lib/algorithms/maml';
import { loadCheckpoint, saveCheckpoint } from '../lib/runtime/checkpoint';
import { run as runCli } from '../lib/cli';
import { FastMlp } from '../lib/model/fastMlp';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng, STREAM } from '../lib/tasks/rng';
import { makeTaskPool, ORIGINAL_TASKS, sampleTask, SineTask } from '../lib/tasks/sineTask';
import { train } from '../lib/training/train';
import { RefAdam } from './reference';
import { relErr } from './helpers';
import { scratchDir } from './scratch';

type Bug = 'none' | 'shuffle-once' | 'divide-by-full-batch' | 'reuse-first-task' | 'drop-seed-compat';

/**
 * The engine the replays check: float64 WebAssembly, which agrees with the replay's fast-engine
 * arithmetic to ~1e-15, far inside the 1e-10 the replays allow. (The default, wasm-f32, rounds
 * its meta-gradients to float32: test/wasm-f32.test.ts checks it against the fast engine.)
 */
const REPLAY_ENGINE = 'wasm';

interface ReplayConfig {
  algo: 'maml' | 'fomaml';
  seedCompat: boolean;
  tasks: number;
  epochs: number;
  metaBatchSize: number;
  freshTasks: boolean;
  seed: number;
  replica?: number;
}

function replay(c: ReplayConfig, bug: Bug = 'none') {
  const net = new FastMlp(paramLayout());
  const rng = new Rng(c.seed, STREAM.replica + (c.replica ?? 0));
  const theta = initParams(rng);
  const pool = c.freshTasks ? [] : makeTaskPool(c.tasks, new Rng(c.seed, STREAM.taskPool));
  const metaGradient = maml.createMetaGradient(net, { innerLr: 0.01, innerSteps: 1, seedCompat: false, firstOrder: c.algo === 'fomaml' });
  const ws = net.workspace(16);
  const adam = new RefAdam(net.size, 1e-3);
  const orders: SineTask[][] = [];
  const history: number[] = [];
  let order: SineTask[] = [];
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    if (c.freshTasks) {
      order = Array.from({ length: c.tasks }, () => sampleTask(rng, ORIGINAL_TASKS));
      if (bug === 'reuse-first-task') order = order.map(() => order[0]);
    } else if (epoch === 0 || bug !== 'shuffle-once') {
      order = rng.shuffled(pool);
    }
    orders.push(order);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += c.metaBatchSize) {
      const batch = order.slice(start, start + c.metaBatchSize);
      const mean = new Float64Array(net.size);
      for (const task of batch) {
        const support = task.supportSet();
        const query = task.querySet(rng);
        const g = new Float64Array(net.size);
        lossSum += metaGradient(theta, { support, query }, g);
        if (c.seedCompat && bug !== 'drop-seed-compat') {
          // the original's leak: the support loss at θ is back-propagated too
          const gs = new Float64Array(net.size);
          net.lossAndGrad(theta, support.x, support.y, ws, gs);
          for (let j = 0; j < g.length; j++) g[j] += gs[j];
        }
        for (let j = 0; j < g.length; j++) mean[j] += g[j];
      }
      const divisor = bug === 'divide-by-full-batch' ? c.metaBatchSize : batch.length;
      for (let j = 0; j < mean.length; j++) mean[j] /= divisor;
      adam.step(theta, mean);
    }
    history.push(lossSum / order.length);
  }
  return { theta, history, orders };
}

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } } as never;

/** `actual` equals the replay to 1e-10 (Adam's arithmetic differs from the library's in the last bits) and each planted bug is > 1e-6 away. */
function assertReplayed(actual: Float64Array, config: ReplayConfig, bugs: Bug[], what: string): void {
  const expected = replay(config).theta;
  assert.equal(actual.length, expected.length);
  const d = relErr(actual, expected);
  assert.ok(d < 1e-10, `${what}: relative difference ${d} from the replay`);
  for (const bug of bugs) {
    const wrong = relErr(replay(config, bug).theta, expected);
    assert.ok(wrong > 1e-6, `${what}: the replay with bug '${bug}' differs by only ${wrong}; the test would not see it`);
  }
}

test('two epochs with a partial last meta-batch: a new order every epoch, the last batch averaged over its own size', () => {
  // 8 tasks, batches of 3: 3 + 3 + 2 per epoch (a last batch of 2, so that dividing it by 3
  // instead of 2 shows; a batch of one needs no division at all)
  const config: ReplayConfig = { algo: 'maml', seedCompat: false, tasks: 8, epochs: 2, metaBatchSize: 3, freshTasks: false, seed: 11 };
  const result = train({ ...config, engine: REPLAY_ENGINE });
  const r = replay(config);
  assert.notDeepEqual(r.orders[0].map((t) => t.amplitude), r.orders[1].map((t) => t.amplitude), 'the two epochs see different orders');
  assertReplayed(result.replicas[0], config, ['shuffle-once', 'divide-by-full-batch'], 'train()');
  assert.equal(result.history[0].length, 2);
  r.history.forEach((h, e) => assert.ok(Math.abs(result.history[0][e] - h) < 1e-12 * h, `epoch ${e + 1} loss ${result.history[0][e]} vs ${h}`));
});

test('a second replica uses its own stream; first-order MAML with batches of 2 over 5 tasks', () => {
  const config: ReplayConfig = { algo: 'fomaml', seedCompat: false, tasks: 5, epochs: 2, metaBatchSize: 2, freshTasks: false, seed: 12 };
  const result = train({ ...config, replicas: 2, engine: REPLAY_ENGINE });
  assertReplayed(result.replicas[0], config, ['divide-by-full-batch'], 'replica 0');
  assertReplayed(result.replicas[1], { ...config, replica: 1 }, [], 'replica 1');
});

test('fresh tasks: every meta-training step sees a task drawn for it (all distinct), none reused', () => {
  const config: ReplayConfig = { algo: 'maml', seedCompat: false, tasks: 6, epochs: 2, metaBatchSize: 1, freshTasks: true, seed: 13 };
  const r = replay(config);
  const amplitudes = r.orders.flat().map((t) => t.amplitude);
  assert.equal(new Set(amplitudes).size, 12, 'the replay draws 12 distinct tasks');
  const result = train({ ...config, engine: REPLAY_ENGINE });
  assertReplayed(result.replicas[0], config, ['reuse-first-task'], 'train() with freshTasks');
});

for (const algo of ['maml', 'fomaml'] as const) {
  test(`seedCompat reaches ${algo}'s meta-gradient through train(), a checkpoint round trip and the CLI`, async () => {
    const config: ReplayConfig = { algo, seedCompat: true, tasks: 5, epochs: 2, metaBatchSize: 2, freshTasks: false, seed: 14 };
    const result = train({ ...config, engine: REPLAY_ENGINE });
    assert.equal(result.config.seedCompat, true);
    assertReplayed(result.replicas[0], config, ['drop-seed-compat'], `train() ${algo}`);
    const dir = scratchDir('maml-sine-replay-');
    const saved = path.join(dir, 'lib.json');
    saveCheckpoint(saved, result);
    const back = loadCheckpoint(saved);
    assert.equal(back.config.seedCompat, true);
    assert.equal(back.config.algo, algo);
    assert.deepEqual(Array.from(back.replicas[0]), Array.from(result.replicas[0]), 'the checkpoint keeps every bit');
    // the CLI, in this process (so mutation testing sees it), with its output silenced
    const viaCli = path.join(dir, 'cli.json');
    const write = process.stderr.write;
    const error = console.error;
    process.stderr.write = () => true;
    console.error = () => {};
    try {
      await runCli(['train', '--algo', algo, '--seed-compat', '--tasks', '5', '--epochs', '2', '--meta-batch', '2', '--seed', '14', '--engine', REPLAY_ENGINE, '--out', viaCli], quiet);
    } finally {
      process.stderr.write = write;
      console.error = error;
    }
    const cli = loadCheckpoint(viaCli);
    assert.equal(cli.config.seedCompat, true);
    assertReplayed(cli.replicas[0], config, [], `CLI ${algo}`);
    // and without the flag the CLI trains the textbook algorithm
    const textbook = path.join(dir, 'textbook.json');
    process.stderr.write = () => true;
    console.error = () => {};
    try {
      await runCli(['train', '--algo', algo, '--tasks', '5', '--epochs', '2', '--meta-batch', '2', '--seed', '14', '--engine', REPLAY_ENGINE, '--out', textbook], quiet);
    } finally {
      process.stderr.write = write;
      console.error = error;
    }
    assertReplayed(loadCheckpoint(textbook).replicas[0], { ...config, seedCompat: false }, [], `CLI ${algo} without --seed-compat`);
  });
}
