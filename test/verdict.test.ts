/**
 * The notebooks' verdict helpers: decision rules on an interval, the paired ratio's CI, the
 * reference loader's errors, and the original's broadcast "MSE" against its closed form.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { broadcastMse, expectVerdict, loadReference, pairedRatio, rules, verdict } from '../lib/notebook';
import { scratchDir } from './scratch';

test('decision rules: holds, does not hold, or undecided when the interval straddles the threshold', () => {
  assert.equal(rules.below(0).decide(-2, -1), 'holds');
  assert.equal(rules.below(0).decide(1, 2), 'does not hold');
  assert.equal(rules.below(0).decide(-1, 1), 'undecided');
  assert.equal(rules.above(0).decide(1, 2), 'holds');
  assert.equal(rules.above(0).decide(-2, -1), 'does not hold');
  assert.equal(rules.within(1.2, 1.5).decide(1.3, 1.4), 'holds');
  assert.equal(rules.within(1.2, 1.5).decide(1.55, 1.6), 'does not hold');
  assert.equal(rules.within(1.2, 1.5).decide(1.45, 1.55), 'undecided');
  assert.equal(rules.gradedAbove(0.9, 0.5).decide(0.92, 0.95), 'holds');
  assert.equal(rules.gradedAbove(0.9, 0.5).decide(0.6, 0.8), 'holds partly');
  assert.equal(rules.gradedAbove(0.9, 0.5).decide(0.1, 0.4), 'does not hold');
  assert.equal(rules.gradedAbove(0.9, 0.5).decide(0.4, 0.6), 'undecided');
  assert.equal(rules.graded(0.1, 0.5).decide(0.2, 0.3), 'holds partly');
  assert.equal(rules.equals(5).decide(10, 10), 'does not hold');
});

test('verdict() decides on value ± ci95 and expectVerdict() asserts only at full scale', () => {
  const v = verdict({ claim: 'x is positive', figure: 'x', value: 1, ci95: 0.5, rule: rules.above(0) });
  assert.equal(v.decision, 'holds');
  assert.deepEqual([v.lo, v.hi], [0.5, 1.5]);
  assert.match(v.markdown, /holds/);
  const unsure = verdict({ claim: 'x is positive', figure: 'x', value: 0.1, ci95: 0.5, rule: rules.above(0) });
  assert.equal(unsure.decision, 'undecided');
  assert.throws(() => expectVerdict(unsure, 'holds', { name: 'full', testTasks: 1000, replicas: 5 }), /expected to be "holds"/);
  assert.doesNotThrow(() => expectVerdict(unsure, 'holds', { name: 'quick', testTasks: 200, replicas: 2 }));
  assert.throws(() => verdict({ claim: 'c', figure: 'f', value: NaN, rule: rules.above(0) }), /not finite/);
});

test('pairedRatio: the ratio of means; with a constant denominator its CI is that of mean(a) / b', () => {
  const a = Array.from({ length: 400 }, (_, i) => Math.sin(i) + 2);
  const b = a.map(() => 4);
  const { value, ci95 } = pairedRatio(a, b);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / (a.length - 1));
  assert.ok(Math.abs(value - mean / 4) < 1e-12);
  assert.ok(Math.abs(ci95 - (1.96 * sd) / Math.sqrt(a.length) / 4) < 1e-12);
  // a = 2b exactly: the ratio is 2 with no uncertainty
  const c = a.map((v) => 2 * v);
  assert.ok(pairedRatio(c, a).ci95 < 1e-9);
  assert.throws(() => pairedRatio([1], [1]), /at least 2/);
});

test('broadcastMse: [n,1] against [n] averages all (ŷ_i − y_j)², = mean ŷ² − 2 mean ŷ mean y + mean y²', () => {
  const pred = [0.3, -1.2, 2.5, 0.7];
  const y = [1.1, 0.4, -0.9, 2.2];
  const m = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const closedForm = m(pred.map((p) => p * p)) - 2 * m(pred) * m(y) + m(y.map((v) => v * v));
  assert.ok(Math.abs(broadcastMse(pred, y) - closedForm) < 1e-12);
});

test('loadReference: a missing or malformed file is one error naming it', () => {
  const dir = scratchDir('maml-ref-');
  const file = path.join(dir, 'results.json');
  assert.throws(() => loadReference(file), new RegExp(`${file.replace(/[/.]/g, '\\$&')} not found`));
  fs.writeFileSync(file, '{ not json');
  assert.throws(() => loadReference(file), /is not valid JSON/);
  fs.writeFileSync(file, JSON.stringify({ provenance: { command: 'x' }, recipe: [{ model: 'nope', k: [], mean: [], ci95: [] }], timing: [], paper: [] }));
  assert.throws(() => loadReference(file), /recipe models among/);
});
