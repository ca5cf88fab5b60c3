/**
 * Parameters of the sine MLP, independent of any tensor library: a layout (names, shapes,
 * offsets) over one flat Float64Array. The tfjs model turns it into a plain dictionary of
 * tensors; the fast engine works on the flat array directly.
 *
 * Explained in notebook 02 (the parameter dictionary).
 */
import { Rng } from '../tasks/rng';
import { checkInt, fail } from '../core/validate';

/** The original's network: 1 input, two hidden ReLU layers of 40, 1 output. */
export const DEFAULT_LAYER_SIZES: readonly number[] = Object.freeze([1, 40, 40, 1]);

/** One named parameter tensor in the flat vector: its name, shape, offset and size. */
export interface ParamEntry {
  /** PyTorch-style name: `hidden1.weight`, `hidden1.bias`, ..., `out.weight`, `out.bias` */
  name: string;
  /** weights are [out, in] as in nn.Linear; biases are [out] */
  shape: number[];
  offset: number;
  size: number;
  /** inputs of the layer it belongs to (sets its initialisation bound) */
  fanIn: number;
}

/** Where every parameter tensor sits in a flat parameter vector, for given layer sizes. */
export interface ParamLayout {
  layerSizes: number[];
  entries: ParamEntry[];
  size: number;
}

/** `layerSizes` if it is a list of at least two positive integers, else a MamlInputError. */
export function checkLayerSizes(layerSizes: readonly number[]): number[] {
  if (!Array.isArray(layerSizes) || layerSizes.length < 2) fail('layerSizes', layerSizes, 'at least [input, output]');
  layerSizes.forEach((n, i) => checkInt(`layerSizes[${i}]`, n, 1));
  if (layerSizes[0] !== 1 || layerSizes[layerSizes.length - 1] !== 1) {
    fail('layerSizes', layerSizes, 'one input and one output for sine regression, e.g. [1, 40, 40, 1]');
  }
  return [...layerSizes];
}

/** PyTorch's name of layer `layer` of `layerCount`: `hidden1`, `hidden2`, ..., `out`. */
export function layerName(layer: number, layerCount: number): string {
  return layer === layerCount - 1 ? 'out' : `hidden${layer + 1}`;
}

/** The layout of the MLP with these layer sizes (default 1-40-40-1, the original's). */
export function paramLayout(layerSizes: readonly number[] = DEFAULT_LAYER_SIZES): ParamLayout {
  const sizes = checkLayerSizes(layerSizes);
  const entries: ParamEntry[] = [];
  let offset = 0;
  const layers = sizes.length - 1;
  for (let l = 0; l < layers; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const name = layerName(l, layers);
    entries.push({ name: `${name}.weight`, shape: [fanOut, fanIn], offset, size: fanOut * fanIn, fanIn });
    offset += fanOut * fanIn;
    entries.push({ name: `${name}.bias`, shape: [fanOut], offset, size: fanOut, fanIn });
    offset += fanOut;
  }
  return { layerSizes: sizes, entries, size: offset };
}

/**
 * PyTorch's nn.Linear default initialisation: weight and bias both U(-1/√fan_in, 1/√fan_in)
 * (kaiming_uniform with a = √5 reduces to this bound). Drawn layer by layer, weight then bias.
 */
export function initParams(rng: Rng, layerSizes: readonly number[] = DEFAULT_LAYER_SIZES): Float64Array {
  const layout = paramLayout(layerSizes);
  const flat = new Float64Array(layout.size);
  for (const entry of layout.entries) {
    const bound = 1 / Math.sqrt(entry.fanIn);
    for (let i = 0; i < entry.size; i++) flat[entry.offset + i] = rng.uniform(-bound, bound);
  }
  return flat;
}

/** The flat parameters as a plain dictionary of (copied) arrays, by name. */
export function toNamedArrays(flat: Float64Array, layout: ParamLayout): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const e of layout.entries) out[e.name] = Array.from(flat.subarray(e.offset, e.offset + e.size));
  return out;
}

/** Inverse of toNamedArrays; checks names, sizes and that every value is finite. */
export function fromNamedArrays(named: Record<string, unknown>, layout: ParamLayout, what = 'params'): Float64Array {
  const flat = new Float64Array(layout.size);
  const expectedNames = layout.entries.map((e) => e.name);
  const names = Object.keys(named ?? {});
  if (names.length !== expectedNames.length || !expectedNames.every((n) => names.includes(n))) {
    fail(`${what} names`, names, `exactly ${expectedNames.join(', ')}`);
  }
  for (const e of layout.entries) {
    const values = named[e.name];
    if (!Array.isArray(values) || values.length !== e.size) {
      fail(`${what}["${e.name}"] length`, Array.isArray(values) ? values.length : typeof values, `${e.size} numbers (shape [${e.shape}])`);
    }
    for (let i = 0; i < e.size; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what}["${e.name}"][${i}]`, v, 'a finite number');
      flat[e.offset + i] = v;
    }
  }
  return flat;
}
