/** Every bad input gets one clear error naming the value and what was expected. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkEvalLimits, checkTrainLimits, LIMITS, quote, show, oneLine, resolveTrainConfig } from '../lib/index';
import { evaluate, evaluateParallel, atStep, makeTaskPool, paramLayout, Rng, train, taskOptions, initParams, MamlInputError, DivergedError, fitPredictions, sampleTask } from '../lib/index';

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MamlInputError, `expected a MamlInputError, got ${err}`);
    assert.match((err as Error).message, pattern);
    return true;
  });
}

const base = { algo: 'maml' as const, tasks: 5, epochs: 1 };

test('negative or zero learning rates are rejected', () => {
  rejects(() => train({ ...base, innerLr: -0.01 }), /^innerLr = -0\.01 is invalid: expected a finite number > 0$/);
  rejects(() => train({ ...base, metaLr: 0 }), /^metaLr = 0 is invalid: expected a finite number > 0$/);
  rejects(() => evaluate([initParams(new Rng(0))], paramLayout(), makeTaskPool(2, new Rng(0)), { lr: -1 }), /^lr = -1 is invalid/);
});

test('K = 0 is rejected', () => {
  rejects(() => taskOptions({ supportSize: 0 }), /^supportSize \(K\) = 0 is invalid: expected an integer >= 1$/);
  rejects(() => train({ ...base, taskOptions: { supportSize: 0 } }), /supportSize \(K\) = 0/);
});

test('tasks < 1 and replicas < 1 are rejected', () => {
  rejects(() => train({ ...base, tasks: 0 }), /^tasks = 0 is invalid: expected an integer >= 1$/);
  rejects(() => train({ ...base, replicas: 0 }), /^replicas = 0 is invalid/);
  rejects(() => makeTaskPool(-3, new Rng(0)), /^tasks = -3 is invalid/);
  rejects(() => train({ ...base, metaBatchSize: 1.5 }), /^metaBatchSize = 1\.5 is invalid/);
  rejects(() => train({ ...base, innerSteps: 0 }), /^innerSteps = 0 is invalid/);
});

test('an unknown algorithm or engine is rejected', () => {
  rejects(() => train({ ...base, algo: 'sgd' as never }), /^algo = "sgd" is invalid: expected one of maml, fomaml, transfer, reptile, metasgd$/);
  rejects(() => train({ ...base, engine: 'gpu' as never }), /^engine = "gpu" is invalid/);
});

test('NaN and Infinity are rejected everywhere', () => {
  rejects(() => train({ ...base, innerLr: NaN }), /^innerLr = NaN is invalid: expected a finite number/);
  rejects(() => train({ ...base, metaLr: Infinity }), /^metaLr = Infinity is invalid/);
  rejects(() => train({ ...base, seed: NaN }), /^seed = NaN is invalid/);
  rejects(() => taskOptions({ amplitudeRange: [0.1, NaN] }), /^amplitudeRange\[1\] = NaN is invalid/);
  rejects(() => new Rng(-1), /^seed = -1 is invalid/);
});

test('an amplitude range with min > max is rejected', () => {
  rejects(() => taskOptions({ amplitudeRange: [5, 0.1] }), /^amplitudeRange = \[5,0\.1\] is invalid: expected min <= max$/);
});

test('parameters of the wrong shape are rejected', () => {
  const layout = paramLayout();
  rejects(() => evaluate([new Float64Array(10)], layout, makeTaskPool(2, new Rng(0))), /^replicas\[0\] length = 10 is invalid: expected 1761 parameters/);
  rejects(() => paramLayout([2, 40, 1]), /^layerSizes = \[2,40,1\] is invalid/);
  rejects(() => fitPredictions(initParams(new Rng(0)), layout, sampleTask(new Rng(0)), [-1]), /^fits\[0\] = -1 is invalid/);
});

test('seedCompat on transfer is rejected', () => {
  rejects(() => train({ algo: 'transfer', tasks: 5, seedCompat: true }), /^seedCompat = true is invalid/);
});

test('a run whose loss becomes NaN stops with a clear error', () => {
  // an absurd meta learning rate makes the parameters overflow within a few tasks
  assert.throws(
    () => train({ algo: 'maml', tasks: 50, epochs: 1, metaLr: 1e200 }),
    (err: unknown) => err instanceof DivergedError && /^the loss became (NaN|Infinity) at replica 0, epoch 1, task \d+/.test((err as Error).message),
  );
});

test('evaluation counts diverged tasks instead of returning NaN', () => {
  const layout = paramLayout();
  const tasks = makeTaskPool(20, new Rng(9));
  const result = evaluate([initParams(new Rng(0))], layout, tasks, { steps: 30, lr: 5 });
  const last = result.summary[30];
  assert.ok(last.diverged > 0, 'lr 5 should diverge on some tasks');
  // the median of 20 values is +inf exactly when at least 10 of them diverged
  assert.equal(last.median === Infinity, last.diverged >= 10);
  assert.ok(Number.isFinite(last.mean) || last.n === 0);
  // the count is that of the tasks whose MSE is ∞ (exact thresholds: evaluate-oracle.test.ts)
  assert.equal(last.diverged, Array.from(result.perTask[30]).filter((v) => v === Infinity).length);
});

test('evaluation records a subset of steps with the same numbers, and checks the list', async () => {
  const layout = paramLayout();
  const tasks = makeTaskPool(15, new Rng(10));
  const models = [initParams(new Rng(1)), initParams(new Rng(2))];
  const all = evaluate(models, layout, tasks, { steps: 12 });
  const some = evaluate(models, layout, tasks, { steps: 12, record: [0, 1, 5, 12] });
  assert.deepEqual(some.steps, [0, 1, 5, 12]);
  [0, 1, 5, 12].forEach((k, i) => {
    assert.deepEqual(Array.from(some.perTask[i]), Array.from(all.perTask[k]));
    assert.deepEqual(atStep(some, k), all.summary[k]);
  });
  rejects(() => evaluate(models, layout, tasks, { steps: 12, record: [0, 5, 3, 12] }), /^record = \[0,5,3,12\] is invalid: expected steps in increasing order$/);
  rejects(() => evaluate(models, layout, tasks, { steps: 12, record: [0, 5] }), /^record = \[0,5\] is invalid: expected a list that ends at steps = 12$/);
  rejects(() => evaluate(models, layout, tasks, { steps: 12, record: [0, 13] }), /^record\[1\] = 13 is invalid: expected an integer in \[0, 12\]$/);
  rejects(() => atStep(some, 2), /^step = 2 is invalid: expected one of the recorded steps \[0,1,5,12\]$/);
  const parallel = await evaluateParallel(models, layout, tasks, { steps: 12, record: [0, 1, 5, 12] }, 2);
  assert.deepEqual(parallel.summary, some.summary);
});

test('errors carry the option, the value and what was expected', () => {
  assert.throws(() => train({ ...base, innerSteps: 0 }), (err: unknown) => {
    assert.ok(err instanceof MamlInputError);
    assert.equal(err.option, 'innerSteps');
    assert.equal(err.value, 0);
    assert.equal(err.expected, 'an integer >= 1');
    return true;
  });
});

test('values in messages are quoted safely and bounded', () => {
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
  // C0 controls (JSON escapes them), DEL, C1 controls, bidi overrides, line separators
  assert.equal(quote('\u001b[2J\u007f\u009b\u202e\u2028'), '"\\u001b[2J\\u007f\\u009b\\u202e\\u2028"');
  assert.equal(quote('\ud800x'), '"\\ud800x"', 'a lone surrogate is escaped');
  assert.equal(quote('x'.repeat(300)), `"${'x'.repeat(200)}"…(300 characters)`);
  assert.equal(oneLine('two\nlines\ttab\u009b'), 'two lines\\u0009tab\\u009b');
  // a deeply nested or huge value prints as a short preview, without recursing through it
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(show(deep), '[[[[…]]]]');
  assert.match(show(new Array(1_000_000).fill(7)), /^\[7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,…\(1000000 items\)\]$/);
  assert.equal(show({ a: [1, 2], 'k\u001b': 'v' }), '{"a":[1,2],"k\\u001b":"v"}');
  assert.equal(show(NaN), 'NaN');
  assert.equal(show(undefined), 'undefined');
});

test('training and evaluation limits: at the limit passes, one over fails naming the limit', () => {
  const config = resolveTrainConfig({ algo: 'maml' });
  checkTrainLimits({ ...config, replicas: LIMITS.replicas, epochs: 1, tasks: 1000 });
  const over = (patch: Record<string, unknown>, re: RegExp) =>
    rejects(() => checkTrainLimits({ ...config, ...patch } as typeof config), re);
  over({ replicas: LIMITS.replicas + 1 }, /^replicas = 101 is over the limit: expected at most 100 replicas/);
  over({ epochs: LIMITS.epochs + 1 }, /^epochs = 1001 is over the limit/);
  over({ tasks: LIMITS.tasks + 1, epochs: 1 }, /^tasks = 1000001 is over the limit/);
  over({ metaBatchSize: LIMITS.metaBatchSize + 1 }, /^metaBatchSize = 10001 is over the limit/);
  over({ innerSteps: LIMITS.innerSteps + 1 }, /^innerSteps = 101 is over the limit/);
  over({ taskOptions: { ...config.taskOptions, supportSize: 1001 } }, /^supportSize \(K\) = 1001 is over the limit/);
  over({ taskOptions: { ...config.taskOptions, testSize: 10_001 } }, /^testSize = 10001 is over the limit/);
  over({ layerSizes: [1, ...new Array(10).fill(2), 1] }, /^layerSizes\.length = 12 is over the limit: expected at most 10 layers/);
  over({ layerSizes: [1, 1000, 1000, 1000, 1] }, /^layerSizes = 2005001 is over the limit: expected at most 1000000 parameters per model/);
  over({ replicas: 100, epochs: 200, tasks: 1001 }, /^replicas × epochs × tasks × innerSteps = 20020000 is over the limit: expected at most 20000000/);
  checkTrainLimits({ ...config, replicas: 100, epochs: 200, tasks: 1000 }); // exactly at the work limit
  over({ tasks: 1_000_000, epochs: 1, taskOptions: { ...config.taskOptions, supportSize: 21 } }, /^tasks × supportSize \(K\) = 21000000 is over the limit/);
  // fresh tasks hold no pool: the paper's full budget (notebook 9: 70,000 x 25 tasks, 2 models)
  // passes, only the work limit holds them
  checkTrainLimits({ ...config, freshTasks: true, replicas: 2, epochs: 1, tasks: 1_750_000, metaBatchSize: 25 });
  checkTrainLimits({ ...config, freshTasks: true, replicas: 1, epochs: 1, tasks: LIMITS.trainWork, taskOptions: { ...config.taskOptions, supportSize: 21 } });
  over({ freshTasks: true, replicas: 2, epochs: 1, tasks: 10_000_001 }, /^replicas × epochs × tasks × innerSteps = 20000002 is over the limit/);
  over({ freshTasks: false, replicas: 2, epochs: 1, tasks: 1_750_000 }, /^tasks = 1750000 is over the limit/);
  checkEvalLimits({ tasks: 100_000, steps: 99, replicas: 1, shots: 200 });
  rejects(() => checkEvalLimits({ tasks: 100_000, steps: 99, replicas: 2, shots: 10 }), /^tasks × \(steps \+ 1\) × replicas = 20000000 is over the limit: expected at most 10000000/);
  rejects(() => checkEvalLimits({ tasks: 100_001, steps: 0, replicas: 1, shots: 10 }), /^tasks = 100001 is over the limit/);
  rejects(() => checkEvalLimits({ tasks: 10, steps: 10_001, replicas: 1, shots: 10 }), /^steps = 10001 is over the limit/);
});
