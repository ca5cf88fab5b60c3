/**
 * Oracle tests for the statistics every published table passes through: the expected values are
 * worked out by hand (in the comments) or by the independent code in reference.ts, never by
 * calling the library a second time.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EvalResult, pairedDifference, summarize, summarizeCurves, atStep } from '../lib/evaluation/evaluate';
import { MamlInputError } from '../lib/core/validate';
import { refMean, refSd } from './reference';

const close = (actual: number, expected: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);

test('summarize: mean, sample sd, ci95 = 1.96·sd/√n and the median of an even count, by hand', () => {
  // values 10, 2, 7, 1: mean 5; deviations 5, −3, 2, −4 → squares 25 + 9 + 4 + 16 = 54;
  // sample variance 54 / 3 = 18; ci95 = 1.96 · √18 / √4; median (2 + 7) / 2 = 4.5
  const s = summarize([10, 2, 7, 1], 3);
  assert.equal(s.step, 3);
  close(s.mean, 5, 'mean');
  close(s.ci95, (1.96 * Math.sqrt(18)) / 2, 'ci95');
  close(s.median, 4.5, 'median of an even count');
  assert.equal(s.n, 4);
  assert.equal(s.diverged, 0);
});

test('summarize: the median of an odd count is the middle value, whatever the input order', () => {
  assert.equal(summarize([5, 1, 3]).median, 3);
  assert.equal(summarize([9, 8, 1, 0.5, 4]).median, 4);
  // one value: mean = median = the value; no spread, so no interval
  const one = summarize([2.5]);
  assert.equal(one.mean, 2.5);
  assert.equal(one.median, 2.5);
  assert.ok(Number.isNaN(one.ci95), `ci95 of one value: ${one.ci95}`);
  // two values 1, 3: sd = √2, ci95 = 1.96 · √2 / √2 = 1.96
  close(summarize([3, 1]).ci95, 1.96, 'ci95 of [3, 1]');
});

test('summarize: ∞ and NaN count as diverged, stay out of the mean and sort last for the median', () => {
  // finite: 4, 1, 7 → mean 4, deviations 0, −3, 3 → variance 18/2 = 9, sd 3, ci95 = 1.96·3/√3
  const s = summarize([4, Infinity, 1, NaN, 7]);
  assert.equal(s.n, 3);
  assert.equal(s.diverged, 2);
  close(s.mean, 4, 'mean over finite values');
  close(s.ci95, (1.96 * 3) / Math.sqrt(3), 'ci95 over finite values');
  // sorted with the diverged as +∞: 1, 4, 7, ∞, ∞ → the middle one is 7
  assert.equal(s.median, 7);
  // −∞ is not a finite MSE either
  assert.equal(summarize([1, -Infinity]).diverged, 1);
  // even count with the diverged in the upper half: 1, 2, ∞, ∞ → (2 + ∞) / 2 = ∞
  assert.equal(summarize([Infinity, 2, NaN, 1]).median, Infinity);
  // even count with one diverged: 1, 2, 3, ∞ → (2 + 3) / 2
  assert.equal(summarize([3, Infinity, 1, 2]).median, 2.5);
  const all = summarize([NaN, Infinity]);
  assert.equal(all.n, 0);
  assert.equal(all.diverged, 2);
  assert.ok(Number.isNaN(all.mean) && Number.isNaN(all.ci95));
  assert.equal(all.median, Infinity);
});

test('summarize on many random values agrees with an independent mean, sd and median', () => {
  // a fixed pseudo-random list (a linear congruential sequence, no library code)
  let state = 12345;
  const values = Array.from({ length: 101 }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31) * 10;
  });
  for (const v of [values, values.slice(0, 100)]) {
    const s = summarize(v);
    const sorted = [...v].sort((a, b) => a - b);
    const median = v.length % 2 ? sorted[(v.length - 1) / 2] : (sorted[v.length / 2 - 1] + sorted[v.length / 2]) / 2;
    close(s.mean, refMean(v), 'mean');
    close(s.ci95, (1.96 * refSd(v)) / Math.sqrt(v.length), 'ci95');
    assert.equal(s.median, median, `median of ${v.length}`);
  }
});

/** A hand-made evaluation result with the given per-task values (one step, k = 1). */
function result(perTask: number[][], steps = perTask.map((_, i) => i)): EvalResult {
  return { steps, lr: 0.01, tasks: perTask[0].length, replicas: 1, perTask: perTask.map((v) => Float64Array.from(v)), perReplica: [], summary: [] };
}

test('paired differences are per task (a[t] − b[t]), not differences of sorted or shuffled lists', () => {
  // a − b per task: 0.5, −0.5, 2, 6 → mean 2; deviations −1.5, −2.5, 0, 4 → squares
  // 2.25 + 6.25 + 0 + 16 = 24.5; variance 24.5/3; ci95 = 1.96·√(24.5/3)/2; median (0.5 + 2)/2
  const a = result([[0, 0, 0, 0], [1, 2, 3, 10]]);
  const b = result([[1, 1, 1, 1], [0.5, 2.5, 1, 4]]);
  const [d0, d1] = pairedDifference(a, b);
  assert.equal(d1.step, 1);
  close(d1.mean, 2, 'mean difference');
  close(d1.ci95, (1.96 * Math.sqrt(24.5 / 3)) / 2, 'ci95 of the paired differences');
  close(d1.median, 1.25, 'median difference');
  assert.equal(d1.n, 4);
  close(d0.mean, -1, 'step 0');
  assert.equal(d0.ci95, 0);
  // the order matters: b − a is the negation
  close(pairedDifference(b, a)[1].mean, -2, 'b − a');
});

test('paired differences refuse results on other tasks or steps', () => {
  const rejects = (fn: () => unknown, what: string) => assert.throws(fn, (e: unknown) => e instanceof MamlInputError && (e as Error).message === `paired results = "${what}" is invalid: expected two evaluations on the same tasks and steps`);
  rejects(() => pairedDifference(result([[1, 2, 3]]), result([[1, 2]])), '3 vs 2 tasks, steps [0] vs [0]');
  rejects(() => pairedDifference(result([[1], [2]], [0, 1]), result([[1], [2]], [0, 2])), '1 vs 1 tasks, steps [0,1] vs [0,2]');
});

test('summarizeCurves averages replicas per task, then summarises over tasks; per-replica means skip diverged tasks', () => {
  // 2 replicas × 3 tasks × 2 recorded steps (k = 0, 4); curves[r][t·2 + i]
  const r0 = [1, 0.5, 3, 1, 5, Infinity];
  const r1 = [3, 1.5, 1, 2, 7, 1];
  const options = { steps: 4, record: [0, 4], lr: 0.05 };
  const out = summarizeCurves([Float64Array.from(r0), Float64Array.from(r1)], 3, options);
  assert.deepEqual(out.steps, [0, 4]);
  assert.equal(out.lr, 0.05);
  assert.equal(out.tasks, 3);
  assert.equal(out.replicas, 2);
  // per task, the mean of the two replicas: k=0: (1+3)/2, (3+1)/2, (5+7)/2; k=4: 1, 1.5, ∞
  assert.deepEqual(Array.from(out.perTask[0]), [2, 2, 6]);
  assert.deepEqual(Array.from(out.perTask[1]), [1, 1.5, Infinity]);
  // replica 0 alone: k=0 mean(1, 3, 5) = 3; k=4 mean(0.5, 1) (its ∞ left out) = 0.75
  // replica 1 alone: k=0 mean(3, 1, 7) = 11/3; k=4 mean(1.5, 2, 1) = 1.5
  assert.deepEqual(out.perReplica, [[3, 0.75], [11 / 3, 1.5]]);
  // over tasks: k=0 mean(2, 2, 6) = 10/3; k=4 a task diverged in one replica is diverged
  close(out.summary[0].mean, 10 / 3, 'mean at k=0');
  assert.equal(out.summary[0].median, 2);
  assert.equal(out.summary[1].diverged, 1);
  close(out.summary[1].mean, 1.25, 'mean at k=4');
  assert.equal(out.summary[1].median, 1.5);
  assert.equal(atStep(out, 4), out.summary[1]);
  assert.equal(out.summary[1].step, 4);
});
