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
} from '../lib/train';
import { InterruptedError } from '../lib/interrupt';
import { MamlInputError } from '../lib/validate';

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
