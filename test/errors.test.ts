/**
 * One error type for bad input: it carries the option, the value and what was expected; a
 * caller renames the option through the fields (never by parsing the text), and errors cross
 * from worker threads as data with every field intact.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DivergedError, MamlError, MamlInputError, StorageError, fromErrorData, resolveTrainConfig, taskOptions, toErrorData, trainParallel, train } from '../lib/index';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

test('an input error names the field, and renamed() says it under another name without parsing the message', () => {
  const err = caught(() => taskOptions({ supportSize: 0 })) as MamlInputError;
  assert.ok(err instanceof MamlInputError);
  assert.equal(err.option, 'supportSize');
  assert.equal(err.message, 'supportSize (K) = 0 is invalid: expected an integer >= 1');
  const flag = err.renamed('--support-size');
  assert.ok(flag instanceof MamlInputError);
  assert.equal(flag.message, '--support-size = 0 is invalid: expected an integer >= 1');
  assert.deepEqual([flag.option, flag.value, flag.expected], ['--support-size', 0, 'an integer >= 1']);
  // an error without a subject (a free-form message) is reported as it is
  const free = new MamlInputError('no one-sided task in 10 draws: expected a smaller supportSize', { option: 'supportSize' });
  assert.equal(free.renamed('--support-size'), free);
});

test('errors cross threads as data: the same class, message and fields', () => {
  const input = caught(() => resolveTrainConfig({ algo: 'maml', innerLr: -1 })) as MamlInputError;
  const back = fromErrorData(structuredClone(toErrorData(input)));
  assert.ok(back instanceof MamlInputError);
  assert.deepEqual([back.message, back.option, back.value, back.expected], [input.message, 'innerLr', -1, input.expected]);
  assert.equal((back as MamlInputError).renamed('--inner-lr').message, '--inner-lr = -1 is invalid: expected a finite number > 0');
  const storage = fromErrorData(structuredClone(toErrorData(new StorageError('cannot write "x"', '/tmp/x', 'ENOSPC'))));
  assert.ok(storage instanceof StorageError);
  assert.deepEqual([storage.path, storage.code], ['/tmp/x', 'ENOSPC']);
  assert.ok(fromErrorData(toErrorData(new DivergedError('the loss became NaN'))) instanceof DivergedError);
  const other = fromErrorData(toErrorData(new TypeError('a bug')));
  assert.ok(!(other instanceof MamlInputError) && other.message === 'a bug');
  // a value postMessage cannot clone travels as its preview
  const odd = toErrorData(new MamlInputError('x', { option: 'f', value: () => 1 }));
  assert.doesNotThrow(() => structuredClone(odd));
});

test('one error type: storage and divergence errors are MamlErrors with the same three fields', () => {
  const storage = new StorageError('cannot write "x": the disk is full', '/tmp/x', 'ENOSPC');
  assert.ok(storage instanceof MamlError);
  assert.deepEqual([storage.option, storage.value], ['path', '/tmp/x']);
  const diverged = caught(() => train({ algo: 'maml', tasks: 20, epochs: 1, metaLr: 1e200 })) as DivergedError;
  assert.ok(diverged instanceof MamlError && diverged instanceof DivergedError);
  assert.equal(diverged.option, 'loss');
  assert.ok(!Number.isFinite(diverged.value as number));
  assert.equal(diverged.expected, 'a finite loss');
  assert.ok(caught(() => taskOptions({ querySize: -1 })) instanceof MamlError);
});

test('a worker thread divergence arrives as the serial run reports it', async () => {
  const config = { algo: 'maml' as const, tasks: 50, epochs: 1, replicas: 2, metaLr: 1e200 };
  const serial = caught(() => train(config)) as DivergedError;
  assert.ok(serial instanceof DivergedError);
  await assert.rejects(trainParallel(config, { workers: 2 }), (err: unknown) => {
    assert.ok(err instanceof DivergedError);
    // either worker may report first: the same message as the serial run's, for its replica
    assert.equal(err.message.replace(/replica \d+/, 'replica 0'), serial.message);
    return true;
  });
});
