/**
 * A small seeded random generator (xoshiro128**), so that every random draw of the project —
 * tasks, support/query points, initial weights, task order — can be replayed bit for bit.
 * Math.random is never used.
 *
 * Explained in notebook 01 (every draw comes from one seeded generator).
 */
import { checkSeed, fail } from '../core/validate';

/** splitmix32: spreads an integer seed over the 128-bit state (xoshiro must not start at 0). */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** A seeded generator (xoshiro128**): `new Rng(seed, stream)`, each stream an independent sequence of the same seed. */
export class Rng {
  /**
   * the four state words, in an Int32Array rather than four number fields: next() measured
   * ~34 ns with the fields and ~10 ns with typed elements, the same bits (Node 20 here; why V8
   * is slower with the fields was not pinned down)
   */
  private readonly s = new Int32Array(4);

  /**
   * @param seed a non-negative integer (up to 2^53)
   * @param stream an optional second integer: the same seed with different streams gives
   *   independent generators (used for replicas, the task pool, held-out tasks).
   */
  constructor(seed: number, stream = 0) {
    checkSeed('seed', seed);
    checkSeed('stream', stream);
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2f);
    let word: number;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      [state, word] = splitmix32(state ^ Math.imul(stream + 1, 0x165667b1) ^ (i === 0 ? stream : 0));
      words.push(word);
    }
    this.s.set(words.map((w) => w | 0));
    if ((words[0] | words[1] | words[2] | words[3]) === 0) this.s[0] = 1;
  }

  /** The generator's position: its four 32-bit state words (for snapshots). */
  getState(): [number, number, number, number] {
    const s = this.s;
    return [s[0] >>> 0, s[1] >>> 0, s[2] >>> 0, s[3] >>> 0];
  }

  /** Continue from a position `getState()` returned: the next draws are the ones that followed. */
  setState(state: readonly number[]): this {
    const ok = Array.isArray(state) && state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32);
    if (!ok || state.every((w) => w === 0)) fail('rng state', state, 'four 32-bit unsigned integers, not all 0');
    this.s.set(state.map((w) => w | 0));
    return this;
  }

  /** A generator at a position `getState()` returned. */
  static fromState(state: readonly number[]): Rng {
    return new Rng(0).setState(state);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0];
    const s1 = s[1];
    const s2 = s[2] ^ s0;
    const s3 = s[3] ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = rotl(s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A new array with the items of `items` in random order (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Named streams, so that one user-facing seed drives independent parts of an experiment. */
export const STREAM = {
  taskPool: 1_000_000,
  heldOutTasks: 2_000_000,
  oneSided: 3_000_000,
  /** replica r of a training run uses stream `replica + r` */
  replica: 4_000_000,
  randomInit: 5_000_000,
} as const;
