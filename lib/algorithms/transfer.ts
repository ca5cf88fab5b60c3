/**
 * Transfer learning as in the original: one ordinary training step per task on its support
 * points, so the model learns to fit all tasks at once (which drives it to their average).
 */
import { FastMlp } from '../model/fastMlp';
import { InnerOptions, MetaGradientFn } from './types';

export function createMetaGradient(net: FastMlp, _options: InnerOptions, capacity = 64): MetaGradientFn {
  const pass = net.workspace(capacity);
  return (theta, task, out) => net.lossAndGrad(theta, task.support.x, task.support.y, pass, out);
}
