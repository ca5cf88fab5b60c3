/**
 * Resumable training: a run stopped anywhere (in process, by kill -9, by SIGINT/SIGTERM, during
 * a snapshot write) and resumed ends with the parameters of an uninterrupted run, bit for bit;
 * unusable snapshots are refused with one line.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../lib/runtime/checkpoint';
import { trainParallel } from '../lib/runtime/parallel';
import { readSnapshot, snapshotPath, writeSnapshot } from '../lib/runtime/snapshot';
import { resolveTrainConfig, RunState, train, TrainConfigInput, TrainingInterrupted, TrainResult } from '../lib/training/train';
import { Rng } from '../lib/tasks/rng';
import { MamlInputError } from '../lib/core/validate';
import { scratchDir } from './scratch';

const CLI = path.join(__dirname, '..', 'bin', 'maml-sine.js');

function tmpdir(): string {
  return scratchDir('maml-resume-');
}

function sameBits(a: TrainResult | { replicas: Float64Array[]; history: number[][] }, b: { replicas: Float64Array[]; history: number[][] }, what: string): void {
  assert.equal(a.replicas.length, b.replicas.length, what);
  a.replicas.forEach((theta, r) => {
    const x = Buffer.from(theta.buffer, theta.byteOffset, theta.byteLength);
    const y = Buffer.from(b.replicas[r].buffer, b.replicas[r].byteOffset, b.replicas[r].byteLength);
    assert.ok(x.equals(y), `${what}: replica ${r} differs`);
  });
  assert.deepEqual(a.history, b.history, `${what}: history`);
}

/** Stop a serial run after `at` tasks, return its state after a round trip through a snapshot file. */
function stopAt(input: TrainConfigInput, at: number, resume?: RunState): RunState {
  const controller = new AbortController();
  let seen = 0;
  try {
    train(input, { resume, progressEvery: 1, signal: controller.signal, onProgress: (p) => ++seen && p.done >= at && controller.abort() });
  } catch (err) {
    assert.ok(err instanceof TrainingInterrupted, String(err));
    assert.equal(err.done, at);
    const file = path.join(tmpdir(), 'x.partial');
    const config = resolveTrainConfig(input);
    writeSnapshot(file, config, err.state);
    return readSnapshot(file, config);
  }
  assert.fail(`the run ended before task ${at} (${seen} progress calls)`);
}

test('Rng getState/setState continues the same stream', () => {
  const a = new Rng(3, 7);
  for (let i = 0; i < 5; i++) a.next();
  const b = Rng.fromState(a.getState());
  assert.deepEqual(Array.from({ length: 20 }, () => a.nextUint32()), Array.from({ length: 20 }, () => b.nextUint32()));
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), MamlInputError);
  assert.throws(() => Rng.fromState([1, 2, 3]), MamlInputError);
});

const CASES: [string, TrainConfigInput, number[]][] = [
  // stop points: mid-epoch, mid meta-batch, an epoch boundary, a replica boundary, twice in a row
  ['maml, meta-batch 3', { algo: 'maml', tasks: 40, epochs: 2, replicas: 2, metaBatchSize: 3, seed: 4 }, [1, 17, 40, 80, 81, 150]],
  ['fomaml, fresh tasks', { algo: 'fomaml', tasks: 30, epochs: 2, replicas: 2, freshTasks: true, seed: 9 }, [5, 30, 31, 77]],
  ['metasgd', { algo: 'metasgd', tasks: 25, epochs: 2, replicas: 1, seed: 2 }, [12, 26]],
  ['reptile', { algo: 'reptile', tasks: 25, epochs: 2, replicas: 1, seed: 2 }, [3, 49]],
  ['transfer', { algo: 'transfer', tasks: 50, epochs: 1, replicas: 1, seed: 2 }, [20, 33]],
];

for (const [name, input, stops] of CASES) {
  test(`serial: ${name}, stopped after ${stops.join(', ')} tasks and resumed through snapshot files, ends bit-identical`, () => {
    const whole = train(input);
    for (const at of stops) sameBits(train(input, { resume: stopAt(input, at) }), whole, `stopped at ${at}`);
    // stopped again after resuming, then resumed: still the same
    const first = stopAt(input, stops[0]);
    const second = stopAt(input, stops[stops.length - 1], first);
    sameBits(train(input, { resume: second }), whole, `stopped at ${stops[0]} and ${stops[stops.length - 1]}`);
  });
}

test('parallel: snapshots from workers resume on workers or serially, bit-identical to train()', async () => {
  const input: TrainConfigInput = { algo: 'maml', tasks: 300, epochs: 2, replicas: 3, metaBatchSize: 2, seed: 11 };
  const whole = train(input);
  const snapshots: RunState[] = [];
  const controller = new AbortController();
  await assert.rejects(
    trainParallel(input, {
      workers: 2, snapshotEveryMs: 0, signal: controller.signal, progressEvery: 30,
      onSnapshot: (s) => snapshots.push(s),
      onProgress: (p) => p.done >= 900 && controller.abort(),
    }),
    TrainingInterrupted,
  );
  assert.ok(snapshots.length >= 3, `${snapshots.length} snapshots`);
  const middle = snapshots[Math.floor(snapshots.length / 2)];
  const last = snapshots[snapshots.length - 1];
  for (const [what, state] of [['a middle snapshot', middle], ['the snapshot at the stop', last]] as const) {
    assert.ok(state.replicas.some((r) => r !== null && r.epoch < 2), `${what} has an unfinished replica`);
    sameBits(await trainParallel(input, { workers: 2, resume: state }), whole, `${what}, resumed on workers`);
    sameBits(train(input, { resume: state }), whole, `${what}, resumed serially`);
  }
  // and a serial state resumes on workers
  sameBits(await trainParallel(input, { workers: 3, resume: stopAt(input, 700) }), whole, 'serial state resumed on workers');
});

test('an unusable snapshot is refused with one line naming the file and the reason', () => {
  const dir = tmpdir();
  const input: TrainConfigInput = { algo: 'maml', tasks: 30, epochs: 1, replicas: 2, seed: 1 };
  const config = resolveTrainConfig(input);
  const file = path.join(dir, 'm.json.partial');
  writeSnapshot(file, config, stopAt(input, 40));
  const good = fs.readFileSync(file, 'utf8');
  const refused = (pattern: RegExp, cfg = config) => {
    assert.throws(() => readSnapshot(file, cfg), (err: unknown) => {
      assert.ok(err instanceof MamlInputError, String(err));
      assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
      assert.ok(err.message.startsWith(`snapshot ${file} cannot be used: `), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  };
  refused(/other arguments \(seed: 1 there, 2 here\)/, resolveTrainConfig({ ...input, seed: 2 }));
  fs.writeFileSync(file, good.slice(0, good.length >> 1));
  refused(/not valid JSON.*truncated/);
  const body = JSON.parse(good);
  fs.writeFileSync(file, JSON.stringify({ ...body, libraryVersion: '0.0.1' }));
  refused(/library version "0.0.1"/);
  const edited = JSON.parse(good);
  edited.replicas[1].task = 99;
  fs.writeFileSync(file, JSON.stringify(edited));
  refused(/replicas\[1\]\.task = 99/);
  const cut = JSON.parse(good);
  cut.replicas[1].theta = cut.replicas[1].theta.slice(0, 100);
  fs.writeFileSync(file, JSON.stringify(cut));
  refused(/replicas\[1\]\.theta holds/);
  fs.rmSync(file);
  fs.mkdirSync(file);
  refused(/not a regular file/);
});

// ---- the command line, as separate processes ----

// on the fast engine: the wasm engine finishes this run before the kills below land
const ARGS = ['train', '--algo', 'maml', '--tasks', '1500', '--epochs', '2', '--replicas', '3', '--meta-batch', '2', '--seed', '3', '--engine', 'fast'];

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function replicasOf(file: string) {
  const ck = loadCheckpoint(file);
  return { replicas: ck.replicas, history: ck.history };
}

const references = new Map<string, { replicas: Float64Array[]; history: number[][] }>();
/** The run of `args` without interruption (computed once per argument list). */
function uninterrupted(args = ARGS): { replicas: Float64Array[]; history: number[][] } {
  const key = args.join(' ');
  if (!references.has(key)) {
    const out = path.join(tmpdir(), 'whole.json');
    const r = runCli([...args, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    references.set(key, replicasOf(out));
  }
  return references.get(key)!;
}

/** Start the CLI, kill it with `signal` `ms` after it printed `after` (or after it started). */
function killAfter(args: string[], ms: number, signal: NodeJS.Signals, env: Record<string, string> = {}, after?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill(signal), ms));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (after !== undefined && stderr.includes(after)) arm();
    });
    if (after === undefined) arm();
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

test('CLI: kill -9 at random times (snapshots every 20 ms), resumed each time, ends bit-identical', async () => {
  // twice ARGS' tasks (~3-5 s of training here): kills 0.1-0.5 s after training starts take at
  // most ~0.6 s of progress each, so the first three land before the end however fast the
  // machine is at the moment (1,500 tasks once finished after two kills in CI)
  const args = ARGS.map((a) => (a === '1500' ? '3000' : a));
  const whole = uninterrupted(args);
  const out = path.join(tmpdir(), 'killed.json');
  const rng = new Rng(2024);
  let kills = 0;
  let finished = false;
  let killedAfterSave = false;
  let progressAtKill: number[] = [];
  for (let attempt = 0; attempt < 12 && !finished && kills < 5; attempt++) {
    const r = await killAfter([...args, '--out', out, '--resume'], 100 + Math.floor(rng.next() * 400), 'SIGKILL', { MAML_SNAPSHOT_SECONDS: '0.02' }, 'train maml [');
    if (r.signal === 'SIGKILL') {
      const snap = snapshotPath(out);
      if (fs.existsSync(out)) {
        // The kill landed after the checkpoint's atomic rename, in the last milliseconds before
        // exit: the run had finished. Its checkpoint must then be whole (checked below).
        killedAfterSave = true;
        finished = true;
        continue;
      }
      kills++;
      if (fs.existsSync(snap)) progressAtKill.push(readSnapshot(snap, resolveTrainConfig({ algo: 'maml', tasks: 3000, epochs: 2, replicas: 3, metaBatchSize: 2, seed: 3, engine: 'fast' })).done);
    } else {
      assert.equal(r.code, 0, r.stderr);
      finished = true;
    }
  }
  if (!finished) {
    const r = runCli([...args, '--out', out, '--resume']);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.ok(kills >= 3, `killed ${kills} times`);
  assert.ok(progressAtKill.some((d) => d > 0), `progress kept across kills: ${progressAtKill}`);
  sameBits(replicasOf(out), whole, `after ${kills} kills (snapshots at ${progressAtKill.join(', ')} tasks)`);
  // (a kill between the checkpoint's rename and the snapshot's removal may leave the snapshot)
  if (!killedAfterSave) assert.ok(!fs.existsSync(snapshotPath(out)), 'the snapshot is removed after the final save');
  progressAtKill = [];
});

test('CLI: killed during a snapshot write (halfway through its bytes), the previous snapshot resumes bit-identical', () => {
  const whole = uninterrupted();
  for (const n of ['1', '7']) {
    const dir = tmpdir();
    const out = path.join(dir, 'mid-write.json');
    const r = runCli([...ARGS, '--out', out], { MAML_SNAPSHOT_SECONDS: '0.05', MAML_TEST_KILL_IN_SNAPSHOT_WRITE: n });
    assert.equal(r.signal, 'SIGKILL', `the test hook killed write ${n}: ${r.stderr}`);
    const left = fs.readdirSync(dir);
    // the half-written bytes went to a temp file, never to the snapshot itself
    if (n === '1') assert.ok(!fs.existsSync(snapshotPath(out)), `no snapshot before the first complete write: ${left}`);
    else readSnapshot(snapshotPath(out), resolveTrainConfig({ algo: 'maml', tasks: 1500, epochs: 2, replicas: 3, metaBatchSize: 2, seed: 3, engine: 'fast' }));
    const resumed = runCli([...ARGS, '--out', out, '--resume']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, n === '1' ? /no snapshot at .*starting from the beginning/ : /resuming from .*tasks done/);
    sameBits(replicasOf(out), whole, `killed in snapshot write ${n}`);
  }
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`CLI: ${signal} saves a snapshot, says how to resume, exits ${code}; the printed command finishes bit-identical`, async () => {
    const whole = uninterrupted();
    const out = path.join(tmpdir(), `${signal}.json`);
    // once training runs (the progress bar shows), so the handlers are in place
    const r = await killAfter([...ARGS, '--out', out], 700, signal, {}, 'train maml [');
    assert.equal(r.code, code, r.stderr);
    const lines = r.stderr.trim().split('\n');
    const last = lines[lines.length - 1];
    assert.match(last, new RegExp(`^maml-sine: ${signal}: stopped at [\\d,]+ / 9,000 tasks, snapshot saved to .*\\.partial; resume with: npx maml-sine train .* --resume$`));
    assert.ok(fs.existsSync(snapshotPath(out)) && !fs.existsSync(out));
    const command = last.split('resume with: npx maml-sine ')[1].split(' ');
    const resumed = runCli(command);
    assert.equal(resumed.status, 0, resumed.stderr);
    sameBits(replicasOf(out), whole, `after ${signal}`);
    assert.ok(!fs.existsSync(snapshotPath(out)));
  });
}

test('CLI: stopped on the main thread (--workers 1), resumed on two worker threads: the same bits', async () => {
  const whole = uninterrupted(); // (3 replicas: two worker threads by default on a 2-core machine)
  const out = path.join(tmpdir(), 'cross.json');
  const r = await killAfter([...ARGS, '--workers', '1', '--out', out], 700, 'SIGINT', {}, 'train maml [');
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /main thread|SIGINT: stopped at/);
  const resumed = runCli([...ARGS, '--workers', '2', '--out', out, '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from .*\.partial/);
  assert.match(resumed.stderr, /, 2 worker threads\) ->/);
  sameBits(replicasOf(out), whole, 'main thread, then workers');
});

test('CLI: a snapshot is never overwritten unasked, and a mismatched one is refused (exit 2, one line)', () => {
  const out = path.join(tmpdir(), 'm.json');
  const config = resolveTrainConfig({ algo: 'maml', tasks: 1500, epochs: 2, replicas: 3, metaBatchSize: 2, seed: 3, engine: 'fast' });
  writeSnapshot(snapshotPath(out), config, stopAt(config, 10));
  const without = runCli([...ARGS, '--out', out]);
  assert.equal(without.status, 2);
  assert.match(without.stderr, /^maml-sine: .*m\.json\.partial holds a partial training: add --resume to continue it, or delete it to start over$/m);
  const other = runCli([...ARGS.map((a) => (a === '3' ? '4' : a)), '--out', out, '--resume']);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /^maml-sine: snapshot .* cannot be used: it was written by a training with other arguments \(.*seed: 3 there, 4 here.*\); delete it to start over$/m);
  assert.equal(other.stderr.trim().split('\n').filter((l) => l.startsWith('maml-sine:')).length, 1);
  assert.ok(!fs.existsSync(out));
});
