/**
 * The CLI's numbers, not only its shapes: `eval --json` field by field against the library on
 * the same tasks for non-default flags, null for non-finite values, the text table, and the
 * progress output (on a fake stream). Most runs call the CLI's main() in this process (so that
 * mutation testing sees them); one goes through bin/maml-sine.js as a user runs it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../lib/runtime/checkpoint';
import { run as runCli } from '../lib/cli';
import { evaluate, EvalResult } from '../lib/evaluation/evaluate';
import { progressLine, terminalProgress } from '../lib/training/progress';
import { Rng, STREAM } from '../lib/tasks/rng';
import { makeTaskPool } from '../lib/tasks/sineTask';
import { Progress, train } from '../lib/training/train';
import { scratchDir } from './scratch';

const root = path.join(__dirname, '..');
const dir = scratchDir('maml-sine-cli-values-');
const file = path.join(dir, 'model.json');
saveCheckpoint(file, train({ algo: 'maml', tasks: 40, epochs: 1, replicas: 2, seed: 2 }));
const checkpoint = loadCheckpoint(file);

/** Runs main() in this process and returns what it printed on stdout (console.log). */
async function run(...args: string[]): Promise<string> {
  let out = '';
  const sink = (write: (t: string) => void) => ({ write: (t: string) => (write(String(t)), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  await runCli(args, { stdout: sink((t) => (out += t)), stderr: sink(() => {}) });
  return out.replace(/\n$/, '');
}

/** The library's answer: the held-out tasks of `seed` (K = shots), evaluated with steps and lr. */
function expected(tasks: number, seed: number, steps: number, lr: number, shots = 10): EvalResult {
  const pool = makeTaskPool(tasks, new Rng(seed, STREAM.heldOutTasks), { ...checkpoint.config.taskOptions, supportSize: shots });
  return evaluate(checkpoint.replicas, checkpoint.layout, pool, { steps, lr });
}

const orNull = (v: number) => (Number.isFinite(v) ? v : null);

function assertJsonMatches(out: any, want: EvalResult, taskSeed: number): void {
  assert.equal(out.checkpoint, file);
  assert.equal(out.algo, 'maml');
  assert.equal(out.seedCompat, false);
  assert.equal(out.tasks, want.tasks);
  assert.equal(out.taskSeed, taskSeed);
  assert.equal(out.replicas, 2);
  assert.equal(out.lr, want.lr);
  assert.equal(out.engine, 'wasm-f32', 'the engine it evaluated with: the library\'s default, float32');
  assert.deepEqual(out.steps, want.steps);
  // JSON keeps every bit of a double: equality, not closeness
  assert.deepEqual(out.mean, want.summary.map((s) => orNull(s.mean)));
  assert.deepEqual(out.ci95, want.summary.map((s) => orNull(s.ci95)));
  assert.deepEqual(out.median, want.summary.map((s) => orNull(s.median)));
  assert.deepEqual(out.diverged, want.summary.map((s) => s.diverged));
  assert.deepEqual(out.perReplicaMean, want.perReplica.map((row) => row.map(orNull)));
}

test('eval --json with non-default --seed, --lr, --steps, --shots equals the library on the same tasks', async () => {
  const out = JSON.parse(await run('eval', file, '--tasks', '12', '--seed', '7', '--lr', '0.02', '--steps', '3', '--shots', '5', '--json'));
  const want = expected(12, 7, 3, 0.02, 5);
  assertJsonMatches(out, want, 7);
  // each flag matters: the defaults (seed 1, lr 0.01, 10 steps, K = 10) give other numbers
  for (const other of [expected(12, 1, 3, 0.02, 5), expected(12, 7, 3, 0.01, 5), expected(12, 7, 3, 0.02, 10)]) {
    assert.notDeepEqual(out.mean, other.summary.map((s) => s.mean));
  }
  assert.equal(out.steps.length, 4);
});

test('eval --json defaults: 1000 tasks of seed 1, 10 steps of lr 0.01', async () => {
  // all 1000 default tasks at k = 0 only (10 steps on 1000 tasks would take seconds)
  const many = JSON.parse(await run('eval', file, '--steps', '0', '--json'));
  assert.equal(many.tasks, 1000);
  assertJsonMatches(many, expected(1000, 1, 0, 0.01), 1);
  const out = JSON.parse(await run('eval', file, '--tasks', '4', '--json'));
  assert.equal(out.taskSeed, 1);
  assert.equal(out.lr, 0.01);
  assert.deepEqual(out.steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assertJsonMatches(out, expected(4, 1, 10, 0.01), 1);
});

test('eval --json writes null for non-finite values (diverged runs, a single task)', async () => {
  // lr 100 blows every task up after one step: no finite mean, the median is ∞
  const wild = JSON.parse(await run('eval', file, '--tasks', '3', '--steps', '2', '--lr', '100', '--json'));
  assertJsonMatches(wild, expected(3, 1, 2, 100), 1);
  assert.deepEqual(wild.diverged, [0, 3, 3]);
  assert.deepEqual(wild.mean.slice(1), [null, null]);
  assert.deepEqual(wild.median.slice(1), [null, null]);
  assert.deepEqual(wild.perReplicaMean.map((r: unknown[]) => r.slice(1)), [[null, null], [null, null]]);
  // one task: a mean but no confidence interval
  const one = JSON.parse(await run('eval', file, '--tasks', '1', '--steps', '1', '--json'));
  assert.deepEqual(one.ci95, [null, null]);
  assert.ok(one.mean.every((v: unknown) => typeof v === 'number'));
});

test('the text table shows the library\'s numbers to 3 decimals, one row per step', async () => {
  const text = await run('eval', file, '--tasks', '9', '--seed', '3', '--steps', '2', '--lr', '0.05');
  const want = expected(9, 3, 2, 0.05);
  const rows = text.split('\n').filter((line) => /^\| \d+ \|/.test(line));
  assert.equal(rows.length, 3, text);
  rows.forEach((row, k) => {
    const s = want.summary[k];
    assert.equal(row, `| ${k} | ${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)} | ${s.median.toFixed(3)} | ${s.diverged} |`);
  });
  assert.match(text, /maml, 2 replica\(s\), 9 held-out tasks \(seed 3\), SGD lr 0\.05/);
});

test('bin/maml-sine.js eval --json (a real process) prints the same numbers', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'maml-sine.js'), 'eval', file, '--tasks', '6', '--seed', '5', '--steps', '2', '--lr', '0.03', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assertJsonMatches(JSON.parse(r.stdout), expected(6, 5, 2, 0.03), 5);
});

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream };
}

const at = (done: number, total: number, elapsedMs = 1000): Progress => ({ replica: 1, replicas: 2, done, total, loss: 0.12345, elapsedMs });

test('progress line: bar, percent, tasks, replica, loss, elapsed time and estimate', () => {
  // half done after 65 s: 15 of 30 marks, eta 65 s
  assert.equal(progressLine(at(5, 10, 65_000), 'train maml'), 'train maml [###############...............]  50% 5/10 tasks, replica 2/2, loss 0.123, 1m05s (eta 1m05s)');
  // done: no estimate
  assert.equal(progressLine(at(10, 10, 4_400), ''), '[##############################] 100% 10/10 tasks, replica 2/2, last epoch loss 0.123, 4s');
});

test('terminal progress: redraws one line on a TTY, one line per 10% otherwise', () => {
  const tty = fakeStream(true);
  const onTty = terminalProgress('t', tty.stream);
  for (let done = 1; done <= 4; done++) onTty(at(done, 4));
  assert.equal(tty.writes.length, 4);
  assert.ok(tty.writes.every((w) => w.startsWith('\r')));
  assert.deepEqual(tty.writes.map((w) => w.endsWith('\n')), [false, false, false, true]);
  const log = fakeStream(false);
  const onLog = terminalProgress('t', log.stream);
  for (let done = 1; done <= 100; done++) onLog(at(done, 100));
  // deciles 0 (at 1%), 1 (10%), ..., 10 (100%): 11 lines, each a full line
  assert.equal(log.writes.length, 11);
  assert.deepEqual(log.writes.map((w) => Number(/(\d+)\/100 tasks/.exec(w)![1])), [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.ok(log.writes.every((w) => w.endsWith('\n') && !w.startsWith('\r')));
});

test('training progress: reports every N tasks with the mean loss of its window, and at the end the last epochs\' mean loss', () => {
  const reports: Progress[] = [];
  const result = train({ algo: 'transfer', tasks: 10, epochs: 2, replicas: 2, seed: 4 }, { progressEvery: 5, onProgress: (p) => reports.push(p) });
  // 2 replicas × 2 epochs × 10 tasks = 40; a report at 5, 10, ..., 35, and the last one at 40
  assert.deepEqual(reports.map((p) => p.done), [5, 10, 15, 20, 25, 30, 35, 40]);
  assert.ok(reports.every((p) => p.total === 40 && p.replicas === 2));
  assert.deepEqual(reports.map((p) => p.replica), reports.map((p) => (p.done <= 20 ? 0 : 1)));
  // the first four windows are replica 0's 20 tasks: their losses add up to its epochs' means
  const windows = reports.slice(0, 4).reduce((sum, p) => sum + p.loss * 5, 0);
  const replica0 = (result.history[0][0] + result.history[0][1]) * 10;
  assert.ok(Math.abs(windows - replica0) < 1e-9 * replica0, `${windows} vs ${replica0}`);
  // the last report: the mean over replicas of their last epoch's mean loss
  assert.equal(reports[reports.length - 1].loss, (result.history[0][1] + result.history[1][1]) / 2);
});
