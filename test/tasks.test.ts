import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { skipTasks } from '../lib/tasks/sineTask';
import { findOneSidedTask, isOneSided, linspace, makeTaskPool, Rng, sampleTask, ORIGINAL_TASKS, PAPER_TASKS, taskOptions, MamlInputError, curvesFigure, evaluate, initParams, paramLayout } from '../lib/notebook';

test('tasks follow the original distribution: A in [0.1, 5), phase in [0, 2π), x in [-5, 5)', () => {
  const pool = makeTaskPool(2000, new Rng(3));
  const amps = pool.map((t) => t.amplitude);
  const phases = pool.map((t) => t.phase);
  assert.ok(Math.min(...amps) >= 0.1 && Math.max(...amps) < 5);
  assert.ok(Math.min(...phases) >= 0 && Math.max(...phases) < 2 * Math.PI);
  // means of the uniform draws: (0.1 + 5)/2 = 2.55 and π, within 4 standard errors
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(amps) - 2.55) < 4 * (4.9 / Math.sqrt(12)) / Math.sqrt(2000));
  assert.ok(Math.abs(mean(phases) - Math.PI) < 4 * ((2 * Math.PI) / Math.sqrt(12)) / Math.sqrt(2000));
  for (const t of pool.slice(0, 50)) for (const x of t.supportX) assert.ok(x >= -5 && x < 5);
});

test('support points are cached, query points are fresh, the test set is a 50-point linspace', () => {
  const rng = new Rng(4);
  const task = sampleTask(rng);
  const a = task.supportSet();
  const b = task.supportSet();
  assert.equal(a.x.length, 10);
  assert.deepEqual(Array.from(a.x), Array.from(b.x));
  const q1 = task.querySet(rng);
  const q2 = task.querySet(rng);
  assert.notDeepEqual(Array.from(q1.x), Array.from(q2.x));
  assert.equal(q1.x.length, 10);
  const test = task.testSet();
  assert.equal(test.x.length, 50);
  assert.equal(test.x[0], -5);
  assert.equal(test.x[49], 5);
  assert.ok(Math.abs(test.x[1] - test.x[0] - 10 / 49) < 1e-12);
  for (let i = 0; i < 50; i++) assert.ok(Math.abs(test.y[i] - task.amplitude * Math.sin(test.x[i] + task.phase)) < 1e-12);
  assert.deepEqual(Array.from(linspace(0, 1, 3)), [0, 0.5, 1]);
});

test('task options: the MAML paper phase range and K are options', () => {
  const pool = makeTaskPool(500, new Rng(5), { ...PAPER_TASKS, supportSize: 5 });
  assert.ok(pool.every((t) => t.phase < Math.PI && t.supportX.length === 5));
  assert.deepEqual(taskOptions(), { ...ORIGINAL_TASKS });
});

test('the one-sided example has all its support x on one side of 0', () => {
  const task = findOneSidedTask(new Rng(6));
  assert.ok(isOneSided(task));
  const xs = Array.from(task.supportX);
  assert.ok(xs.every((x) => x < 0) || xs.every((x) => x > 0));
  assert.throws(() => findOneSidedTask(new Rng(6), { xRange: [1, 5] }), MamlInputError);
});

test('the generator is deterministic per (seed, stream) and streams differ', () => {
  const draw = (seed: number, stream = 0) => {
    const r = new Rng(seed, stream);
    return Array.from({ length: 5 }, () => r.next());
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.notDeepEqual(draw(42, 0), draw(42, 1));
  const r = new Rng(1);
  const xs = Array.from({ length: 20000 }, () => r.next());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / xs.length));
});

test('the generator is xoshiro128**: the reference outputs from state (1, 2, 3, 4), and a BigInt re-implementation for 20,000 draws', () => {
  // the first three outputs of the reference C code (prng.di.unimi.it/xoshiro128starstar.c)
  // from s = {1, 2, 3, 4}, worked by hand: rotl(s[1] * 5, 7) * 9
  const r = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32()], [11520, 0, 5927040]);
  // an independent implementation in unsigned BigInt arithmetic, from any state
  const M = (1n << 32n) - 1n;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const seeded = new Rng(12345, 678);
  const s = seeded.getState().map(BigInt);
  const reference = () => {
    const result = (rotl((s[1] * 5n) & M, 7n) * 9n) & M;
    const t = (s[1] << 9n) & M;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11n);
    return Number(result);
  };
  for (let i = 0; i < 20000; i++) {
    if (i % 2 === 0) assert.equal(seeded.nextUint32(), reference(), `draw ${i}`);
    else {
      const [hi, lo] = [BigInt(reference()) >> 5n, BigInt(reference()) >> 6n];
      assert.equal(seeded.next(), Number((hi << 26n) | lo) / 2 ** 53, `draw ${i}`);
    }
  }
});

test('loss-curve charts: a line per model with its band, cut where most tasks diverged', () => {
  const layout = paramLayout();
  const tasks = makeTaskPool(20, new Rng(9));
  const calm = evaluate([initParams(new Rng(0))], layout, tasks, { steps: 5 });
  const wild = evaluate([initParams(new Rng(0))], layout, tasks, { steps: 30, lr: 5 });
  const fig = curvesFigure({ calm, wild }, 'test', { logY: true });
  assert.equal(fig.data.length, 6);
  const wildMean = fig.data[5].y as number[];
  assert.ok(wild.summary[30].diverged > 10, 'lr 5 makes most tasks diverge');
  wild.summary.forEach((s, k) => assert.equal(Number.isNaN(wildMean[k]), s.diverged > 10, `step ${k}`));
  const calmLower = fig.data[1].y as number[];
  assert.ok(calmLower.every((v) => v > 0), 'log-axis band stays positive');
  assert.equal((fig.layout!.yaxis as { type?: string }).type, 'log');
});

test("the paper's test protocol: K support and K other random test points per task, the first K of each for K shots", async () => {
  const { paperTestTasks, withShots, evaluateParallel, heldOutTasks, SineTask } = await import('../lib/notebook');
  const rng = new Rng(21);
  const tasks = paperTestTasks(300, rng, 20, PAPER_TASKS);
  assert.equal(tasks.length, 300);
  // the draws in order: amplitude, phase, 20 support x, then 20 test x, from the one generator
  const replay = new Rng(21);
  const a = replay.uniform(0.1, 5);
  const phi = replay.uniform(0, Math.PI);
  const sx = Array.from({ length: 20 }, () => replay.uniform(-5, 5));
  const tx = Array.from({ length: 20 }, () => replay.uniform(-5, 5));
  assert.equal(tasks[0].amplitude, a);
  assert.equal(tasks[0].phase, phi);
  assert.deepEqual(Array.from(tasks[0].supportX), sx);
  assert.deepEqual(Array.from(tasks[0].testSet().x), tx);
  assert.equal(tasks[1].amplitude, replay.uniform(0.1, 5), 'the next task continues the same stream');
  for (const t of tasks) {
    assert.ok(t.phase >= 0 && t.phase < Math.PI);
    for (const x of t.testX!) assert.ok(x >= -5 && x < 5);
  }
  // K shots: the first K support and the first K test points; the grid is still there on request
  const five = withShots(tasks[0], 5);
  assert.deepEqual(Array.from(five.supportSet().x), sx.slice(0, 5));
  assert.deepEqual(Array.from(five.testSet().x), tx.slice(0, 5));
  assert.deepEqual(Array.from(five.testSet().y), tx.slice(0, 5).map((x) => a * Math.sin(x + phi)));
  assert.equal(five.testSet(100).x.length, 100);
  assert.throws(() => withShots(tasks[0], 21), /shots = 21 is invalid/);
  // evaluation scores on those K points: k = 0 is the model's mean squared error there, by hand
  const layout = paramLayout();
  const theta = initParams(new Rng(5), layout.layerSizes);
  const fives = tasks.slice(0, 40).map((t) => withShots(t, 5));
  const r = evaluate([theta], layout, fives, { steps: 1 });
  const net = new (await import('../lib/model/fastMlp')).FastMlp(layout);
  const byHand = fives.map((t) => {
    const pred = net.forward(theta, t.testX!, net.workspace(5));
    return Array.from(pred).reduce((s, p, i) => s + (p - t.f(t.testX![i])) ** 2, 0) / 5;
  });
  const meanByHand = byHand.reduce((s, v) => s + v, 0) / byHand.length;
  assert.ok(Math.abs(r.summary[0].mean - meanByHand) < 1e-6 * meanByHand, `${r.summary[0].mean} vs ${meanByHand}`); // float32, the default engine
  // and the grid-based evaluation of the same waves differs: the protocol matters
  const grid = evaluate([theta], layout, fives.map((t) => new SineTask(t.amplitude, t.phase, t.supportX, t.options)), { steps: 1 });
  assert.notEqual(grid.summary[0].mean, r.summary[0].mean);
  // worker threads carry the test points along: the same numbers as in this thread
  const par = await evaluateParallel([theta], layout, fives, { steps: 3 }, 2);
  assert.deepEqual(par, evaluate([theta], layout, fives, { steps: 3 }));
  assert.equal(heldOutTasks(3)[0].testX, null, 'the held-out tasks of the other notebooks keep the grid');
});

test('skipTasks leaves the generator where drawing the tasks would, for every support size', () => {
  for (const options of [ORIGINAL_TASKS, PAPER_TASKS, taskOptions({ supportSize: 1 }), taskOptions({ supportSize: 20 })]) {
    for (const count of [0, 1, 7]) {
      const [drawn, skipped] = [new Rng(5, 3), new Rng(5, 3)];
      for (let i = 0; i < count; i++) sampleTask(drawn, options);
      skipTasks(skipped, count, options);
      assert.deepEqual(skipped.getState(), drawn.getState(), `K = ${options.supportSize}, ${count} tasks`);
    }
  }
});

// train() drawing fresh tasks one at a time is checked against an independent loop that draws the
// epoch up front (replay.test.ts, 'train() with freshTasks') and resumed mid-epoch (resume.test.ts)
