/**
 * The two ways a wasm engine's meta-gradient hands over its result (see WasmMetaGradientFn):
 * written to `out`, or added to a meta-batch's sum in the engine's memory.
 *
 * Not in a notebook: README "Engines".
 */
import { Precision, WasmMlp, WasmVector } from '../model/wasmMlp';
import { TaskData, WasmMetaGradientFn } from './types';

/**
 * A WasmMetaGradientFn from `compute`, which reads θ (unless `sameTheta`: the values of its
 * previous call are still in its vectors), leaves the task's meta-gradient in `result` and
 * returns the task's loss.
 */
export function wasmMetaGradient<P extends Precision>(
  net: WasmMlp<P>,
  result: WasmVector<P>,
  compute: (theta: Float64Array, task: TaskData, sameTheta: boolean) => number,
): WasmMetaGradientFn {
  const metaGradient = (theta: Float64Array, task: TaskData, out: Float64Array): number => {
    const loss = compute(theta, task, false);
    net.copyToF64(out, result);
    return loss;
  };
  return Object.assign(metaGradient, {
    addTo(theta: Float64Array, task: TaskData, sum: Float64Array, sameTheta: boolean): number {
      const loss = compute(theta, task, sameTheta);
      net.addToF64(sum, result);
      return loss;
    },
  });
}
