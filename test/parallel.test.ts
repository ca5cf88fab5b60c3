import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluate, evaluateParallel, heldOutTasks, paramLayout, randomModels, train, trainParallel, DivergedError, MamlInputError } from '../lib/index';
import * as os from 'node:os';
import { getEventListeners } from 'node:events';
import { idleWorkers, liveWorkers, setIdleWorkerMs, workerStarts } from '../lib/runtime/parallel';
import { InterruptedError } from '../lib/training/interrupt';

test('trainParallel gives exactly the parameters of train()', async () => {
  const config = { algo: 'maml' as const, tasks: 200, epochs: 2, replicas: 3, seed: 7 };
  const serial = train(config);
  let last = 0;
  const parallel = await trainParallel(config, { workers: 2, onProgress: (p) => (last = p.done) });
  assert.equal(last, 3 * 2 * 200, 'progress reaches the total');
  for (let r = 0; r < 3; r++) assert.deepEqual(Array.from(parallel.replicas[r]), Array.from(serial.replicas[r]), `replica ${r}`);
  assert.deepEqual(parallel.history, serial.history);
});

test('evaluateParallel gives exactly the numbers of evaluate()', async () => {
  const layout = paramLayout();
  const tasks = heldOutTasks(37);
  const models = randomModels(2);
  const serial = evaluate(models, layout, tasks, { steps: 5 });
  const parallel = await evaluateParallel(models, layout, tasks, { steps: 5 }, 3);
  assert.deepEqual(parallel.perTask.map((a) => Array.from(a)), serial.perTask.map((a) => Array.from(a)));
  assert.deepEqual(parallel.summary, serial.summary);
  assert.deepEqual(parallel.perReplica, serial.perReplica);
});

test('errors inside workers arrive with their type and message', async () => {
  await assert.rejects(trainParallel({ algo: 'maml', tasks: 50, epochs: 1, replicas: 2, metaLr: 1e200 }, { workers: 2 }), DivergedError);
  await assert.rejects(trainParallel({ algo: 'maml', tasks: 0 }), (err: unknown) => err instanceof MamlInputError && /tasks = 0/.test((err as Error).message));
});

test('workers are kept between calls: the next calls reuse them with the same numbers; a failed or interrupted worker is never reused', async () => {
  const layout = paramLayout();
  const tasks = heldOutTasks(30);
  const models = randomModels(2);
  const serial = evaluate(models, layout, tasks, { steps: 3 });
  const same = (r: Awaited<ReturnType<typeof evaluateParallel>>) =>
    assert.deepEqual(r.perTask.map((a) => Array.from(a)), serial.perTask.map((a) => Array.from(a)));
  // at most one worker per core is kept
  const n = Math.min(2, os.cpus().length);
  same(await evaluateParallel(models, layout, tasks, { steps: 3 }, n));
  const afterFirst = workerStarts();
  same(await evaluateParallel(models, layout, tasks, { steps: 3 }, n));
  const config = { algo: 'fomaml' as const, tasks: 100, epochs: 1, replicas: 2, seed: 3 };
  const trained = await trainParallel(config, { workers: n });
  assert.deepEqual(trained.replicas.map((r) => Array.from(r)), train(config).replicas.map((r) => Array.from(r)));
  assert.equal(workerStarts(), afterFirst, 'the second evaluation and the training ran on the kept workers');

  await assert.rejects(trainParallel({ algo: 'maml', tasks: 50, epochs: 1, replicas: 2, metaLr: 1e200 }, { workers: 2 }), DivergedError);
  const afterFailure = workerStarts();
  same(await evaluateParallel(models, layout, tasks, { steps: 3 }, 2));
  assert.equal(workerStarts(), afterFailure + 2, 'both failed workers were replaced');

  const stop = new AbortController();
  const longer = evaluateParallel(models, layout, heldOutTasks(3000), { steps: 10 }, 2, stop.signal);
  setTimeout(() => stop.abort(), 150);
  await assert.rejects(longer, InterruptedError);
  const afterInterrupt = workerStarts();
  same(await evaluateParallel(models, layout, tasks, { steps: 3 }, 2));
  assert.equal(workerStarts(), afterInterrupt + 2, 'both interrupted workers were replaced');
});

test('a bad MAML_WORKERS does not matter to a call that names its workers, nor to keeping them', async () => {
  const saved = process.env.MAML_WORKERS;
  process.env.MAML_WORKERS = '100';
  try {
    const config = { algo: 'transfer' as const, tasks: 20, epochs: 1, replicas: 2, seed: 1 };
    const trained = await trainParallel(config, { workers: 2 });
    assert.deepEqual(trained.replicas.map((r) => Array.from(r)), train(config).replicas.map((r) => Array.from(r)));
  } finally {
    if (saved === undefined) delete process.env.MAML_WORKERS;
    else process.env.MAML_WORKERS = saved;
  }
});

test('a kept worker is terminated after waiting idleWorkerMs without a job', async () => {
  const previous = setIdleWorkerMs(200);
  try {
    await evaluateParallel(randomModels(1), paramLayout(), heldOutTasks(4), { steps: 1 }, 2);
    assert.equal(idleWorkers(), Math.min(2, os.cpus().length), 'the workers kept (at most one per core)');
    // 200 ms, then the threads' exits: polled, a loaded machine may take a while
    const deadline = Date.now() + 10_000;
    while ((idleWorkers() > 0 || liveWorkers() > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(idleWorkers(), 0, 'none kept after 200 ms idle');
    assert.equal(liveWorkers(), 0, 'and every worker thread has exited');
    const before = workerStarts();
    await evaluateParallel(randomModels(1), paramLayout(), heldOutTasks(4), { steps: 1 }, 2);
    assert.equal(workerStarts(), before + 2, 'the next call starts new ones');
  } finally {
    setIdleWorkerMs(previous);
  }
});

test('the last progress report is the same on the main thread and on 1, 2 or 3 workers: the last epochs\' mean loss', async () => {
  const config = { algo: 'maml' as const, tasks: 300, epochs: 2, replicas: 3, seed: 5 };
  const last = (reports: { done: number; loss: number }[]) => reports[reports.length - 1];
  const serialReports: { done: number; loss: number }[] = [];
  const serial = train(config, { progressEvery: 7, onProgress: (p) => serialReports.push(p) });
  const expected = serial.history.reduce((sum, h) => sum + h[h.length - 1], 0) / serial.history.length;
  assert.deepEqual(last(serialReports), { ...last(serialReports), done: 1800, loss: expected });
  for (const workers of [1, 2, 3]) {
    const reports: { done: number; loss: number }[] = [];
    await trainParallel(config, { workers, progressEvery: 7, onProgress: (p) => reports.push(p) });
    assert.equal(last(reports).done, 1800, `${workers} worker(s)`);
    assert.equal(last(reports).loss, expected, `${workers} worker(s)`);
    assert.equal(reports.filter((p) => p.done === 1800).length, 1, 'one last report');
  }
});

test('a signal shared by many calls collects no abort listeners', async () => {
  const shared = new AbortController();
  for (let i = 0; i < 3; i++) {
    await evaluateParallel(randomModels(1), paramLayout(), heldOutTasks(4), { steps: 1 }, 2, shared.signal);
    await trainParallel({ algo: 'transfer', tasks: 10, epochs: 1, replicas: 2, seed: i }, { workers: 2, signal: shared.signal });
  }
  assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
});
