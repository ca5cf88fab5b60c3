/**
 * Verdicts on the original's claims: a claim, the figure measured for it with its 95%
 * interval, and a stated decision rule give one of "holds", "holds partly", "does not hold",
 * or "undecided" (the interval straddles the rule's threshold: the sample is too small to
 * decide). The verdict is shown as one line in the notebook and returned, so that the cell can
 * assert it at full scale.
 *
 * Used by the verdict cells of notebooks 04-10.
 */
import * as assert from 'node:assert/strict';
import { displayBundle, escapeHtml } from './display';
import type { Scale } from '../experiment/experiment';
import { MamlInputError } from '../core/validate';

/** The verdict on a claim of the original. */
export type Decision = 'holds' | 'holds partly' | 'does not hold' | 'undecided';

/** How a measured figure and its 95% CI decide a verdict (see `rules`). */
export interface Rule {
  /** the rule in words, e.g. "holds if the whole 95% CI is below 0" */
  text: string;
  decide(lo: number, hi: number): Decision;
}

const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(v) : v.toPrecision(3));

/** Decision rules on an interval [lo, hi] (the 95% CI of the measured figure). */
export const rules = {
  /** holds if the whole interval is below t, does not hold if it is all above */
  below(t: number, what = 'the figure'): Rule {
    return { text: `holds if the whole 95% CI of ${what} is below ${fmt(t)}, does not hold if it is all above`,
      decide: (lo, hi) => (hi < t ? 'holds' : lo > t ? 'does not hold' : 'undecided') };
  },
  /** holds if the whole interval is above t, does not hold if it is all below */
  above(t: number, what = 'the figure'): Rule {
    return { text: `holds if the whole 95% CI of ${what} is above ${fmt(t)}, does not hold if it is all below`,
      decide: (lo, hi) => (lo > t ? 'holds' : hi < t ? 'does not hold' : 'undecided') };
  },
  /** holds at most t1, holds partly in (t1, t2], does not hold above t2 */
  graded(t1: number, t2: number, what = 'the figure'): Rule {
    const band = (v: number): Decision => (v <= t1 ? 'holds' : v <= t2 ? 'holds partly' : 'does not hold');
    return { text: `${what}: holds if at most ${fmt(t1)}, holds partly up to ${fmt(t2)}, does not hold above (whole 95% CI)`,
      decide: (lo, hi) => (band(lo) === band(hi) ? band(lo) : 'undecided') };
  },
  /** the other direction: holds at least t1, holds partly from t2 up to t1, does not hold below t2 */
  gradedAbove(t1: number, t2: number, what = 'the figure'): Rule {
    const band = (v: number): Decision => (v >= t1 ? 'holds' : v >= t2 ? 'holds partly' : 'does not hold');
    return { text: `${what}: holds if at least ${fmt(t1)}, holds partly from ${fmt(t2)}, does not hold below (whole 95% CI)`,
      decide: (lo, hi) => (band(lo) === band(hi) ? band(lo) : 'undecided') };
  },
  /** holds if the whole interval lies in [a, b], does not hold if it lies outside */
  within(a: number, b: number, what = 'the figure'): Rule {
    return { text: `holds if ${what} lies in [${fmt(a)}, ${fmt(b)}], does not hold if it lies outside`,
      decide: (lo, hi) => (lo >= a && hi <= b ? 'holds' : hi < a || lo > b ? 'does not hold' : 'undecided') };
  },
  /** a fact of the code: holds if the value equals `expected` */
  equals(expected: number, what = 'the value'): Rule {
    return { text: `holds if ${what} is ${fmt(expected)}`,
      decide: (lo, hi) => (lo === expected && hi === expected ? 'holds' : 'does not hold') };
  },
};

/** A claim, its measured figure with its 95% CI, and the rule that decides it. */
export interface VerdictInput {
  /** the claim, in the original's words or close to them */
  claim: string;
  /** what was measured, e.g. "paired test-MSE difference transfer − MAML after 1 step" */
  figure: string;
  value: number;
  /** half-width of the 95% CI (omit for exact facts or recorded figures without one) */
  ci95?: number;
  /** an explicit interval instead of value ± ci95 (e.g. min..max over timing runs) */
  interval?: [number, number];
  rule: Rule;
  digits?: number;
  /** one more sentence shown after the verdict */
  note?: string;
}

/** A decided claim: the decision, the figure and the rule, as the verdict cell shows them. */
export interface Verdict {
  claim: string;
  decision: Decision;
  value: number;
  lo: number;
  hi: number;
  /** the verdict as one line of Markdown */
  markdown: string;
}

const SYMBOL: Record<Decision, string> = { holds: '✔', 'holds partly': '◐', 'does not hold': '✘', undecided: '?' };

/** Decide a claim, display its verdict line, and return it. */
export function verdict(input: VerdictInput): Verdict {
  const digits = input.digits ?? 3;
  const [lo, hi] = input.interval ?? (input.ci95 === undefined ? [input.value, input.value] : [input.value - input.ci95, input.value + input.ci95]);
  if (![input.value, lo, hi].every(Number.isFinite)) throw new MamlInputError(`verdict on "${input.claim}": the measured figure is not finite (${input.value}, [${lo}, ${hi}])`, { option: 'value', value: input.value, expected: 'a finite figure and CI' });
  const decision = input.rule.decide(lo, hi);
  const measured = input.interval
    ? `${input.value.toFixed(digits)} (${lo.toFixed(digits)} .. ${hi.toFixed(digits)})`
    : input.ci95 === undefined ? input.value.toFixed(digits) : `${input.value.toFixed(digits)} ± ${input.ci95.toFixed(digits)}`;
  const note = input.note ? ` ${input.note}` : '';
  const markdown = `${SYMBOL[decision]} **${decision}** — *${input.claim}* — ${input.figure}: ${measured}. Rule: ${input.rule.text}.${note}`;
  const html =
    `<div class="maml-sine-verdict" style="border-left:4px solid #888;padding:4px 8px;margin:4px 0">` +
    `${SYMBOL[decision]} <b>${escapeHtml(decision)}</b> — <i>${escapeHtml(input.claim)}</i> — ` +
    `${escapeHtml(input.figure)}: <b>${escapeHtml(measured)}</b>. ` +
    `<small>Rule: ${escapeHtml(input.rule.text)}.</small>${escapeHtml(note)}</div>`;
  displayBundle({ 'text/html': html, 'text/markdown': markdown, 'text/plain': markdown.replace(/\*/g, '') });
  return { claim: input.claim, decision, value: input.value, lo, hi, markdown };
}

/**
 * At full scale, assert that the verdict is the expected one. At quick scale the sample is
 * small (fewer tasks, fewer and shorter-trained models): a different verdict is shown as
 * such, not asserted.
 */
export function expectVerdict(v: Verdict, expected: Decision, scale: Pick<Scale, 'name' | 'testTasks' | 'replicas'>): void {
  if (scale.name === 'full') {
    assert.equal(v.decision, expected, `at full scale, "${v.claim}" was expected to be "${expected}", measured "${v.decision}"`);
    return;
  }
  if (v.decision === expected) return;
  const text = `At quick scale (${scale.testTasks} tasks, ${scale.replicas} models per algorithm) the sample is too small ` +
    `to decide "${v.claim}" (here: ${v.decision}); the notebook asserts "${expected}" at full scale.`;
  displayBundle({ 'text/html': `<div class="maml-sine-verdict-note"><small>${escapeHtml(text)}</small></div>`, 'text/plain': text });
}

/** Show a sentence rendered from computed values as Markdown (and HTML for the reports). */
export function say(markdown: string): void {
  const html = escapeHtml(markdown)
    .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
    .replace(/\*([^*]+)\*/g, '<i>$1</i>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
  displayBundle({ 'text/html': `<p>${html}</p>`, 'text/markdown': markdown, 'text/plain': markdown });
}

/**
 * The ratio of two paired means, mean(a) / mean(b), over the same tasks, with a 95% CI by the
 * delta method (a and b are per-task values; their covariance is taken into account).
 */
export function pairedRatio(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; ci95: number } {
  if (a.length !== b.length || a.length < 2) throw new MamlInputError(`pairedRatio: expected two equal lists of at least 2 values, got ${a.length} and ${b.length}`, { option: 'a, b', value: [a.length, b.length], expected: 'two equal lists of at least 2 values' });
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let vaa = 0;
  let vbb = 0;
  let vab = 0;
  for (let i = 0; i < n; i++) {
    vaa += (a[i] - ma) ** 2 / (n - 1);
    vbb += (b[i] - mb) ** 2 / (n - 1);
    vab += ((a[i] - ma) * (b[i] - mb)) / (n - 1);
  }
  const r = ma / mb;
  const variance = (vaa - 2 * r * vab + r * r * vbb) / (mb * mb * n);
  return { value: r, ci95: 1.96 * Math.sqrt(Math.max(0, variance)) };
}
