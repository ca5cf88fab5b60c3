/**
 * The slow part of training.test.ts (outside `npm run test:unit`, inside `npm test`): tfjs
 * training through 1,400 tasks, checking that it leaks no tensors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/tfjs/autodiff';
import { train } from '../lib/index';

test('tfjs training frees its tensors: the count after 200 and after 1,200 tasks is the same', async () => {
  await initBackend(() => {});
  const counts: number[] = [];
  for (const tasks of [200, 1200]) {
    train({ algo: 'maml', engine: 'autodiff', tasks, epochs: 1 });
    counts.push(tf.memory().numTensors);
  }
  train({ algo: 'transfer', engine: 'autodiff', tasks: 200, epochs: 1 });
  assert.equal(counts[0], counts[1]);
  assert.equal(tf.memory().numTensors, counts[1]);
});
