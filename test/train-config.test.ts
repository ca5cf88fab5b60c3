/**
 * What a training run is configured with, and what it reports: the documented defaults, every
 * CLI flag reaching the config, buffers sized for the largest task, the task pool option, the
 * task totals and timing. In this process, so mutation testing sees them.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../lib/runtime/checkpoint';
import { run as runCli } from '../lib/cli';
import { Rng, STREAM } from '../lib/tasks/rng';
import { makeTaskPool, ORIGINAL_TASKS } from '../lib/tasks/sineTask';
import { Progress, resolveTrainConfig, totalTasks, train } from '../lib/training/train';
import { MamlInputError } from '../lib/core/validate';
import { scratchDir } from './scratch';

const dir = scratchDir('maml-sine-config-');

test('defaults are the original recipe: 4 epochs over 10,000 tasks (transfer: 1), α 0.01, Adam 0.001, K = 10', () => {
  assert.deepEqual(resolveTrainConfig({ algo: 'maml' }), {
    algo: 'maml', seedCompat: false, replicas: 1, epochs: 4, tasks: 10_000, freshTasks: false, metaBatchSize: 1, innerSteps: 1,
    innerLr: 0.01, metaLr: 0.001, seed: 0, layerSizes: [1, 40, 40, 1], taskOptions: { ...ORIGINAL_TASKS }, engine: 'wasm-f32',
  });
  assert.equal(resolveTrainConfig({ algo: 'transfer' }).epochs, 1);
  assert.equal(resolveTrainConfig({ algo: 'reptile' }).innerSteps, 3);
  assert.equal(resolveTrainConfig({ algo: 'metasgd' }).innerSteps, 1);
  const rejects = (input: object, re: RegExp) => assert.throws(() => resolveTrainConfig(input as never), (e: unknown) => e instanceof MamlInputError && re.test((e as Error).message));
  rejects({ algo: 'maml', seedCompat: 1 }, /^seedCompat = 1 is invalid: expected true or false/);
  rejects({ algo: 'fomaml', layerSizes: [1, 40, 2] }, /^layerSizes = \[1,40,2\] is invalid/);
  rejects({ algo: 'maml', metaBatchSize: 0 }, /^metaBatchSize = 0 is invalid/);
  rejects({ algo: 'maml', epochs: 0 }, /^epochs = 0 is invalid/);
  rejects({ algo: 'maml', metaLr: 0 }, /^metaLr = 0 is invalid/);
  rejects({ algo: 'maml', seed: -1 }, /^seed = -1 is invalid/);
  assert.throws(() => resolveTrainConfig(null as never), /^MamlInputError: train config = null is invalid/);
  // seedCompat is the original MAML's defect: both orders accept it
  assert.equal(resolveTrainConfig({ algo: 'fomaml', seedCompat: true }).seedCompat, true);
});

/** Runs main() in this process: stdout and stderr captured, process.exit turned into a return. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (t: string) => void) => ({ write: (t: string) => (write(String(t)), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const code = await runCli(args, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}

test('every train flag reaches the config the checkpoint records', async () => {
  const file = path.join(dir, 'flags.json');
  const r = await cli('train', '--algo', 'reptile', '--replicas', '2', '--epochs', '2', '--tasks', '6', '--meta-batch', '3', '--inner-steps', '2',
    '--inner-lr', '0.02', '--meta-lr=0.003', '--seed', '9', '--engine', 'fast', '--fresh-tasks', '--support-size', '4', '--phase-max', '3', '--out', file);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(loadCheckpoint(file).config, {
    algo: 'reptile', seedCompat: false, replicas: 2, epochs: 2, tasks: 6, freshTasks: true, metaBatchSize: 3, innerSteps: 2, innerLr: 0.02,
    metaLr: 0.003, seed: 9, layerSizes: [1, 40, 40, 1], taskOptions: { ...ORIGINAL_TASKS, supportSize: 4, phaseRange: [0, 3] }, engine: 'fast',
  });
  // 2 replicas × 2 epochs × 6 fresh tasks
  assert.match(r.stderr, /24\/24 tasks/);
  assert.match(r.stderr, /trained reptile: 2 replica\(s\) x 2 epoch\(s\) x 6 tasks/);
  // and the defaults when no flag is given
  const plain = path.join(dir, 'plain.json');
  assert.equal((await cli('train', '--algo', 'transfer', '--tasks', '5', '--out', plain)).code, 0);
  assert.deepEqual(loadCheckpoint(plain).config, resolveTrainConfig({ algo: 'transfer', tasks: 5 }));
});

test('bad CLI input exits with code 2 and names the flag, before any work', async () => {
  const file = path.join(dir, 'never.json');
  const cases: [string[], RegExp][] = [
    [['train', '--algo', 'maml', '--tasks', '0', '--out', file], /--tasks/],
    [['train', '--algo', 'maml', '--inner-lr', 'abc', '--out', file], /--inner-lr/],
    [['train', '--algo', 'maml', '--engine', 'gpu', '--out', file], /--engine/],
    [['train', '--algo', 'maml', '--out'], /--out/],
    [['train', '--out', file], /--algo/],
    [['train', '--algo', 'maml', 'extra', '--out', file], /extra/],
    [['eval'], /checkpoint/],
    [['eval', path.join(dir, 'missing.json')], /missing\.json/],
    [['nonsense'], /nonsense/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.equal(fs.existsSync(file), false);
  const help = await cli('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: maml-sine/);
  assert.match(help.stdout, /\btrain\b/);
  assert.match(help.stdout, /\beval\b/);
});

test('buffers fit the largest of the support and query sets (K = 20, or 25 query points)', () => {
  for (const taskOptions of [{ supportSize: 20 }, { querySize: 25 }]) {
    for (const algo of ['maml', 'fomaml', 'transfer', 'reptile', 'metasgd'] as const) {
      const r = train({ algo, tasks: 2, epochs: 1, taskOptions });
      assert.ok(r.replicas[0].every(Number.isFinite), `${algo} ${JSON.stringify(taskOptions)}`);
    }
  }
});

test('a given task pool is used as is; totals, progress and timing', () => {
  const config = { algo: 'fomaml' as const, tasks: 6, epochs: 1, seed: 8 };
  const own = train(config, { pool: makeTaskPool(6, new Rng(8, STREAM.taskPool)) });
  assert.deepEqual(Array.from(own.replicas[0]), Array.from(train(config).replicas[0]), 'the seed\'s own pool, passed in, gives the same bits');
  const other = train(config, { pool: makeTaskPool(3, new Rng(99, STREAM.taskPool)) });
  assert.notDeepEqual(Array.from(other.replicas[0]), Array.from(own.replicas[0]));
  // a pool of 3 with tasks: 6 trains 3 tasks per epoch
  const reports: Progress[] = [];
  train(config, { pool: makeTaskPool(3, new Rng(99, STREAM.taskPool)), onProgress: (p) => reports.push(p) });
  assert.deepEqual([reports.at(-1)!.done, reports.at(-1)!.total], [3, 3]);
  // fresh tasks: epochs × tasks per replica, whatever the pool
  const fresh = resolveTrainConfig({ algo: 'maml', tasks: 7, epochs: 3, replicas: 2, freshTasks: true });
  assert.equal(totalTasks(fresh, 0), 42);
  assert.equal(totalTasks(resolveTrainConfig({ algo: 'maml', tasks: 7, epochs: 3, replicas: 2 })), 42);
  assert.equal(totalTasks(resolveTrainConfig({ algo: 'maml', tasks: 7, epochs: 3, replicas: 2 }), 5), 30);
  const freshReports: Progress[] = [];
  const run = train({ algo: 'transfer', tasks: 200, epochs: 2, freshTasks: true }, { onProgress: (p) => freshReports.push(p) });
  // the default interval is total / 200 = 2 tasks: 200 reports, the last at 400 of 400
  assert.equal(freshReports.length, 200);
  assert.deepEqual([freshReports.at(-1)!.done, freshReports.at(-1)!.total], [400, 400]);
  assert.ok(freshReports.every((p, i) => i === 0 || p.elapsedMs >= freshReports[i - 1].elapsedMs));
  assert.ok(run.elapsedMs > 0);
  assert.equal(run.msPerTask, run.elapsedMs / 400);
});
