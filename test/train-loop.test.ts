/**
 * The serial training loop's stops, snapshots and resumption, in process and small (a second or
 * two): a run stopped after any task and resumed from its state ends bit for bit where an
 * uninterrupted run ends; snapshots come at replica ends and on the timer; trainAsync gives
 * train()'s numbers; a state that belongs to another run is refused. (test/resume.test.ts does
 * the same through snapshot files, worker threads and killed CLI processes, more slowly.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  checkResumeState,
  Progress,
  progressCounter,
  ReplicaTrainer,
  resolveTrainConfig,
  RunState,
  tasksDoneIn,
  train,
  trainAsync,
  TrainConfigInput,
  trainingPool,
  TrainingInterrupted,
  TrainResult,
} from '../lib/training/train';
import { InterruptedError } from '../lib/training/interrupt';
import { DivergedError, MamlInputError } from '../lib/core/validate';
import { makeTaskPool, withShots } from '../lib/tasks/sineTask';
import { Rng } from '../lib/tasks/rng';

const INPUT: TrainConfigInput = { algo: 'maml', tasks: 5, epochs: 2, replicas: 2, metaBatchSize: 2, seed: 3, layerSizes: [1, 6, 5, 1] };
const TOTAL = 2 * 2 * 5;

function sameBits(a: TrainResult, b: TrainResult, what: string): void {
  assert.equal(a.replicas.length, b.replicas.length, `${what}: replicas`);
  a.replicas.forEach((theta, r) => assert.deepEqual([...theta], [...b.replicas[r]], `${what}: replica ${r}`));
  assert.deepEqual(a.history, b.history, `${what}: history`);
}

/** Stop a run after `at` tasks (counted over all replicas); returns the error it throws. */
function stopAfter(at: number, resume?: RunState, snapshots: RunState[] = []): TrainingInterrupted {
  const controller = new AbortController();
  try {
    train(INPUT, { resume, progressEvery: 1, signal: controller.signal, onSnapshot: (s) => snapshots.push(s), onProgress: (p) => p.done >= at && controller.abort() });
  } catch (err) {
    assert.ok(err instanceof TrainingInterrupted, String(err));
    return err;
  }
  assert.fail(`the run ended without stopping at ${at}`);
}

test('stopped after any task (mid-batch, epoch end, replica end) and resumed: bit-identical to an uninterrupted run', () => {
  const whole = train(INPUT);
  assert.equal(whole.history.length, 2);
  assert.ok(whole.history.every((h) => h.length === 2), 'one mean loss per epoch per replica');
  for (const at of [1, 4, 5, 9, 10, 11, 19]) {
    const snapshots: RunState[] = [];
    const err = stopAfter(at, undefined, snapshots);
    assert.ok(err instanceof InterruptedError);
    assert.equal(err.name, 'TrainingInterrupted');
    assert.equal(err.message, `training interrupted at ${at} / ${TOTAL} tasks`);
    assert.deepEqual([err.done, err.total], [at, TOTAL]);
    assert.equal(tasksDoneIn(err.state, resolveTrainConfig(INPUT)), at);
    // the stopping run hands its state to onSnapshot too: the last snapshot is the error's state
    assert.deepEqual(snapshots.at(-1), err.state);
    // replicas not started yet are null in the state
    assert.equal(err.state.replicas[1] === null, at < 10, `at ${at}: replica 1 started?`);
    sameBits(train(INPUT, { resume: err.state }), whole, `stopped at ${at}`);
  }
  // stopped, resumed, stopped again, resumed
  const first = stopAfter(3);
  const second = stopAfter(14, first.state);
  assert.equal(second.done, 14);
  sameBits(train(INPUT, { resume: second.state }), whole, 'stopped at 3 and 14');
});

test('snapshots: one when each replica but the last ends, and on the timer; each resumes to the same end', () => {
  const whole = train(INPUT);
  const atReplicaEnds: RunState[] = [];
  sameBits(train(INPUT, { onSnapshot: (s) => atReplicaEnds.push(s), snapshotEveryMs: 1e9 }), whole, 'with snapshots');
  assert.equal(atReplicaEnds.length, 1, 'one snapshot: after replica 0 (the run returns after the last)');
  const config = resolveTrainConfig(INPUT);
  assert.equal(tasksDoneIn(atReplicaEnds[0], config), 10);
  assert.ok(atReplicaEnds[0].elapsedMs >= 0);
  // a snapshot after every task (timer at 0 ms): mid-replica ones carry the unfinished replica
  const every: RunState[] = [];
  train(INPUT, { onSnapshot: (s) => every.push(s), snapshotEveryMs: 0 });
  const done = every.map((s) => tasksDoneIn(s, config));
  // after every task except a replica's last (then the replica-end snapshot comes instead, and
  // none after the last replica)
  assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  for (const s of [every[2], every[11], every[18]]) sameBits(train(INPUT, { resume: s }), whole, `from a snapshot at ${tasksDoneIn(s, config)}`);
  // the snapshots hold copies: the one after task 3, kept while training went on, still equals
  // the state of a run stopped after task 3
  assert.deepEqual([...every[2].replicas[0]!.theta], [...stopAfter(3).state.replicas[0]!.theta]);
  assert.deepEqual([...every[2].replicas[0]!.adamM], [...stopAfter(3).state.replicas[0]!.adamM]);
});

test('trainAsync gives train()\'s numbers, and stops on a signal like train()', async () => {
  const whole = train(INPUT);
  sameBits(await trainAsync(INPUT), whole, 'trainAsync');
  const controller = new AbortController();
  await assert.rejects(
    trainAsync(INPUT, { progressEvery: 1, signal: controller.signal, onProgress: (p) => p.done >= 7 && controller.abort() }),
    (err: unknown) => err instanceof TrainingInterrupted && err.done === 7 && err.total === TOTAL,
  );
});

test('a state from another run is refused: replica count, replica order, a trainer given another replica\'s state', () => {
  const config = resolveTrainConfig(INPUT);
  const state = stopAfter(12).state;
  assert.equal(checkResumeState(undefined, config), undefined);
  assert.equal(checkResumeState(state, config), state);
  const refuses = (s: unknown, option: string, expected: string) =>
    assert.throws(
      () => checkResumeState(s as RunState, config),
      (e: unknown) => e instanceof MamlInputError && e.option === option && e.expected === expected,
    );
  refuses({ ...state, replicas: [state.replicas[0]] }, 'resume state', '2 replica entries');
  refuses({ ...state, replicas: 'x' }, 'resume state', '2 replica entries');
  refuses({ ...state, replicas: [state.replicas[1], state.replicas[0]] }, 'resume state replicas[0].replica', '0');
  assert.throws(() => train(INPUT, { resume: { ...state, replicas: [state.replicas[0]] } }), MamlInputError);
  const pool = trainingPool(config);
  assert.throws(
    () => new ReplicaTrainer(config, 0, pool, state.replicas[1]!),
    (e: unknown) => e instanceof MamlInputError && e.option === 'replica state' && e.expected === 'the state of replica 0',
  );
  // a finished replica's state resumes as finished
  const finished = new ReplicaTrainer(config, 0, pool, state.replicas[0]!);
  assert.equal(finished.done, true);
  assert.equal(finished.tasksDone, 10);
});

test('config checks name the field and what was expected', () => {
  const refuses = (input: unknown, option: string, expected: string) =>
    assert.throws(
      () => resolveTrainConfig(input as TrainConfigInput),
      (e: unknown) => e instanceof MamlInputError && e.option === option && e.expected === expected,
    );
  refuses('maml', 'train config', 'an object with at least { algo }');
  refuses(null, 'train config', 'an object with at least { algo }');
  refuses({ algo: 'maml', freshTasks: 'yes' }, 'freshTasks', 'true or false');
  refuses({ algo: 'reptile', seedCompat: true }, 'seedCompat', "false for reptile (the leak is a defect of the original's MAML)");
  const config = resolveTrainConfig(INPUT);
  assert.throws(
    () => checkResumeState({ replicas: [null], elapsedMs: 0 }, config),
    (e: unknown) => e instanceof MamlInputError && e.value === '1 replicas',
  );
});

test('a diverging run names the replica, epoch and task where the loss stopped being finite', () => {
  // an inner learning rate of 1e100 sends the adapted weights (and the query loss) to overflow at
  // the first task
  assert.throws(() => train({ ...INPUT, innerLr: 1e100 }), (e: unknown) => e instanceof DivergedError && /at replica 0, epoch 1, task 1:/.test(e.message));
});

test('time and counts: elapsed times are real durations, resumed runs add the time already spent', () => {
  const config = resolveTrainConfig(INPUT);
  // a fresh counter (no earlier session) counts from 0
  const reports: Progress[] = [];
  const counter = progressCounter(config, 8, { progressEvery: 2, onProgress: (p) => reports.push(p) });
  counter.add(3, 6, 0);
  assert.equal(counter.done(), 3);
  assert.deepEqual(reports.map((p) => [p.done, p.loss]), [[3, 2]]);
  assert.ok(reports[0].elapsedMs >= 0 && reports[0].elapsedMs < 60_000, `elapsed ${reports[0].elapsedMs}`);
  const t0 = performance.now();
  const snapshots: RunState[] = [];
  const seen: Progress[] = [];
  const run = train(INPUT, { onSnapshot: (s) => snapshots.push(s), onProgress: (p) => seen.push(p), progressEvery: 1 });
  const wall = performance.now() - t0;
  for (const ms of [run.elapsedMs, ...snapshots.map((s) => s.elapsedMs), ...seen.map((p) => p.elapsedMs)]) assert.ok(ms >= 0 && ms <= wall, `${ms} ms within the run's ${wall} ms`);
  // resumed from a state that says 1000 s were spent already: times continue from there
  const state = stopAfter(6).state;
  const resumedSeen: Progress[] = [];
  const t1 = performance.now();
  const resumed = train(INPUT, { resume: { ...state, elapsedMs: 1e6 }, progressEvery: 1, onProgress: (p) => resumedSeen.push(p) });
  const wall1 = performance.now() - t1;
  assert.deepEqual(resumedSeen.map((p) => p.done), Array.from({ length: TOTAL - 6 }, (_, i) => 7 + i));
  for (const ms of [resumed.elapsedMs, ...resumedSeen.map((p) => p.elapsedMs)]) assert.ok(ms >= 1e6 && ms <= 1e6 + wall1, `${ms} ms: 1e6 plus at most ${wall1}`);
});

test('a trainer resumed mid-epoch counts its tasks and can be stopped and resumed again in the same epoch', () => {
  const config = resolveTrainConfig(INPUT);
  const whole = train(INPUT);
  const at3 = stopAfter(3);
  const trainer = new ReplicaTrainer(config, 0, trainingPool(config), at3.state.replicas[0]!);
  assert.equal(trainer.tasksDone, 3);
  assert.equal(trainer.done, false);
  // stopped again one task later: replica 0 is still in the epoch it was resumed in
  const at4 = stopAfter(4, at3.state);
  sameBits(train(INPUT, { resume: at4.state }), whole, 'stopped at 3, then at 4');
});

test('trainAsync on a run long enough to yield to the event loop still returns the run', async () => {
  const input: TrainConfigInput = { algo: 'maml', tasks: 2000, epochs: 1, seed: 5, engine: 'fast' };
  const t0 = performance.now();
  const whole = train(input);
  assert.ok(performance.now() - t0 > 60, 'the run must take longer than trainAsync\'s 50 ms between yields');
  sameBits(await trainAsync(input), whole, 'trainAsync, long run');
});

test('a caller\'s pool whose tasks have another K trains on each task\'s own points, as a config with that K does, on every engine', () => {
  const pool = makeTaskPool(30, new Rng(8), { supportSize: 10 }).map((t) => withShots(t, 5));
  for (const engine of ['wasm-f32', 'wasm', 'fast'] as const) {
    for (const algo of ['maml', 'transfer'] as const) {
      const config = { algo, engine, tasks: 30, epochs: 2, replicas: 1, seed: 2 };
      const fiveShot = train({ ...config, taskOptions: { supportSize: 5 } }, { pool });
      const defaultK = train(config, { pool });
      assert.deepEqual(Array.from(defaultK.replicas[0]), Array.from(fiveShot.replicas[0]), `${algo}, ${engine}`);
    }
  }
});
