/**
 * The playground in the page: esbuild bundles this file with the library modules it imports
 * (playgroundEngine -> fastMlp, evaluate, sineTask, rng, params, validate) into one script
 * that lib/display/playground.ts inlines into the notebook output and reports/playground.html.
 *
 * Interaction is Plotly's own: `clickanywhere` turns a click on the plot into plotly_click
 * with the clicked data coordinates (add a point); each support point carries an annotation
 * that Plotly lets the reader drag (`edits.annotationPosition`, reported by plotly_relayout)
 * or click (plotly_clickannotation: remove it). Every other control is a real form element.
 *
 * Explained in notebook 11 and README "Try it yourself".
 */
import { STREAM, Rng } from '../tasks/rng';
import { findOneSidedTask, sampleTask, ORIGINAL_TASKS } from '../tasks/sineTask';
import { Adaptation, AdaptRun, PlaygroundEngine, PlaygroundModelSpec, PlaygroundSpec } from './playgroundEngine';

interface PlotlyDiv extends HTMLElement {
  _fullLayout?: unknown;
  on(event: string, handler: (data: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}
interface PlotlyLike {
  react(el: HTMLElement, data: unknown[], layout: unknown, config: unknown): Promise<unknown>;
}

const X_LIMIT = ORIGINAL_TASKS.xRange[1];
const STEPS_MAX = 50;
const X_RANGE = [-X_LIMIT - 0.3, X_LIMIT + 0.3];
const Y_RANGE = [-6.5, 6.5];
/** the learning-rate slider is logarithmic: position p in 0..100 -> 10^(-3 + 4p/100), 0.001..10 */
const lrAt = (position: number) => Number((10 ** (-3 + (4 * position) / 100)).toPrecision(3));
const positionOf = (lr: number) => Math.round(((Math.log10(lr) + 3) * 100) / 4);

interface ModelState {
  spec: PlaygroundModelSpec;
  init: Float64Array;
  visible: boolean;
  last: Adaptation | null;
  /** the parameters after 0, 1, 2, ... steps for the points and learning rate in `key` */
  trajectory?: { key: string; run: AdaptRun; saved: Float64Array; firstBad: number };
  checkbox: HTMLInputElement;
  testCell: HTMLElement;
  fitCell: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

const fmt = (v: number | null) => (v === null ? '—' : Number.isFinite(v) ? (Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(3)) : String(v));

/** The page's state and behaviour: the support points, the controls and every model's adapted curve. */
export class Playground {
  readonly engine: PlaygroundEngine;
  readonly models: ModelState[];
  /** the known task, or null when points are placed freely */
  task: { amplitude: number; phase: number; label: string } | null = null;
  /** the last known task, restored when free placement is switched off */
  private lastTask: { amplitude: number; phase: number; label: string };
  points: { x: number; y: number }[] = [];
  steps: number;
  lr: number;
  /** milliseconds of the last redraws: adapting all models, and adapting + Plotly.react */
  timings: { computeMs: number; totalMs: number }[] = [];
  /** redraws so far (timings keeps only the last 100) */
  redraws = 0;
  private readonly heldOut: Rng;
  private heldOutIndex = -1;
  private readonly root: HTMLElement;
  private readonly plot: PlotlyDiv;
  private readonly ui: Record<string, HTMLElement> = {};

  constructor(readonly spec: PlaygroundSpec, private readonly Plotly: PlotlyLike) {
    this.engine = new PlaygroundEngine(spec.layerSizes);
    this.root = document.getElementById(spec.id)!;
    this.plot = document.getElementById(`${spec.id}-plot`) as PlotlyDiv;
    // In JupyterLab, a mousedown or focus inside an output makes the notebook pull the focus
    // back to its active cell (so a focused slider loses the arrow keys), and command-mode
    // shortcuts act on keys typed here. Inside the playground these events are its controls'.
    this.root.setAttribute('data-lm-suppress-shortcuts', 'true');
    for (const type of ['mousedown', 'focusin', 'keydown']) this.root.addEventListener(type, (e) => e.stopPropagation());
    this.steps = spec.steps;
    this.lr = spec.lr;
    this.heldOut = new Rng(spec.heldOutSeed, STREAM.heldOutTasks);
    this.models = spec.models.map((m) => ({ spec: m, init: Float64Array.from(m.params), visible: true, last: null } as ModelState));
    this.lastTask = this.nextHeldOutTask();
    this.buildControls();
    this.plot.on('plotly_click', (ev) => this.onClick(ev));
    this.plot.on('plotly_clickannotation', (ev) => this.removePoint(ev.index));
    this.plot.on('plotly_relayout', (ev) => this.onRelayout(ev));
  }

  /** The next of the held-out tasks the notebooks evaluate on, with its K = 10 points. */
  private nextHeldOutTask(): { amplitude: number; phase: number; label: string } {
    const t = sampleTask(this.heldOut, ORIGINAL_TASKS);
    this.heldOutIndex++;
    this.points = Array.from(t.supportSet().x, (x, i) => ({ x, y: t.supportSet().y[i] }));
    this.task = { amplitude: t.amplitude, phase: t.phase, label: `held-out task ${this.heldOutIndex} (SINE_TEST[${this.heldOutIndex}])` };
    return this.task;
  }

  private setTask(task: { amplitude: number; phase: number; label: string } | null): void {
    this.task = task;
    if (task !== null) this.lastTask = task;
    (this.ui.free as HTMLInputElement).checked = task === null;
  }

  private yOf(x: number): number {
    const t = this.task!;
    return PlaygroundEngine.task(t.amplitude, t.phase, [x]).supportSet().y[0];
  }

  private buildControls(): void {
    const box = this.root.querySelector('.maml-sine-playground-controls') as HTMLElement;
    const row1 = el('div', { class: 'pg-row' });
    const button = (label: string, action: () => void) => {
      const b = el('button', { type: 'button' }, label);
      b.addEventListener('click', action);
      row1.appendChild(b);
      return b;
    };
    this.ui.newTask = button('New task', () => {
      this.setTask(this.nextHeldOutTask());
      this.update(true);
    });
    this.ui.oneSided = button('One-sided task', () => {
      const t = findOneSidedTask(new Rng(0, STREAM.oneSided));
      this.points = Array.from(t.supportSet().x, (x, i) => ({ x, y: t.supportSet().y[i] }));
      this.setTask({ amplitude: t.amplitude, phase: t.phase, label: "the original's one-sided example (notebook 4)" });
      this.update(true);
    });
    this.ui.clear = button('Clear points', () => {
      this.points = [];
      this.update(true);
    });
    this.ui.addPoint = button('Add a point', () => this.addPoint(this.widestGapMiddle(), 0));
    const freeLabel = el('label');
    const free = el('input', { type: 'checkbox' }) as HTMLInputElement;
    free.addEventListener('change', () => {
      if (free.checked) this.setTask(null);
      else {
        this.setTask(this.lastTask);
        this.points = this.points.map((p) => ({ x: p.x, y: this.yOf(p.x) }));
      }
      this.update(true);
    });
    freeLabel.append(free, ' points anywhere (unknown task)');
    row1.appendChild(freeLabel);
    this.ui.free = free;
    box.appendChild(row1);

    const row2 = el('div', { class: 'pg-row' });
    const slider = (label: string, min: number, max: number, value: number, show: (v: number) => string, onInput: (v: number) => void) => {
      const id = `${this.spec.id}-${label.replace(/\W+/g, '-')}`;
      const lab = el('label', { for: id }, `${label} `);
      const input = el('input', { type: 'range', id, min: String(min), max: String(max), step: '1', value: String(value) }) as HTMLInputElement;
      const out = el('output', { for: id }, show(value));
      input.addEventListener('input', () => {
        const v = Number(input.value);
        out.textContent = show(v);
        onInput(v);
      });
      row2.append(lab, input, out);
      return input;
    };
    this.ui.steps = slider('SGD steps', 0, STEPS_MAX, this.steps, (v) => String(v), (v) => {
      this.steps = v;
      this.update(false);
    });
    this.ui.lr = slider('inner learning rate', 0, 100, positionOf(this.lr), (p) => String(lrAt(p)), (p) => {
      this.lr = lrAt(p);
      this.update(false);
    });
    box.appendChild(row2);
    this.ui.task = el('div', { class: 'pg-task' });
    box.appendChild(this.ui.task);

    const table = el('table', { class: 'pg-models' });
    const head = el('tr');
    for (const h of ['show', 'test MSE (50-point grid)', 'MSE on the points']) head.appendChild(el('th', {}, h));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const m of this.models) {
      const tr = el('tr', { 'data-model': m.spec.key });
      const name = el('td');
      const label = el('label', { title: m.spec.about });
      m.checkbox = el('input', { type: 'checkbox' }) as HTMLInputElement;
      m.checkbox.checked = true;
      m.checkbox.addEventListener('change', () => {
        m.visible = m.checkbox.checked;
        this.update(false);
      });
      const swatch = el('span', { class: 'pg-swatch', style: `background:${m.spec.color}` });
      label.append(m.checkbox, swatch, m.spec.name);
      name.appendChild(label);
      m.testCell = el('td', { class: 'pg-test' });
      m.fitCell = el('td', { class: 'pg-fit' });
      tr.append(name, m.testCell, m.fitCell);
      body.appendChild(tr);
    }
    this.root.querySelector('.maml-sine-playground-models')!.appendChild(table);
    this.ui.timing = el('p', { class: 'pg-timing' });
    this.root.querySelector('.maml-sine-playground-models')!.appendChild(this.ui.timing);
    this.ui.points = el('div', { class: 'pg-points' });
    this.root.querySelector('.maml-sine-playground-models')!.appendChild(this.ui.points);
  }

  /** Where "Add a point" puts a point: the middle of the widest empty stretch of [-5, 5]. */
  private widestGapMiddle(): number {
    const xs = [-X_LIMIT, ...this.points.map((p) => p.x).sort((a, b) => a - b), X_LIMIT];
    let best = 0;
    for (let i = 1; i < xs.length; i++) if (xs[i] - xs[i - 1] > xs[best + 1] - xs[best]) best = i - 1;
    return (xs[best] + xs[best + 1]) / 2;
  }

  addPoint(x: number, y: number): void {
    const cx = Math.min(X_LIMIT, Math.max(-X_LIMIT, x));
    this.points.push({ x: cx, y: this.task !== null ? this.yOf(cx) : y });
    this.update(true);
  }

  removePoint(index: number): void {
    if (index >= 0 && index < this.points.length) this.points.splice(index, 1);
    this.update(true);
  }

  /**
   * A click on the plot (Plotly's plotly_click, on empty space too with `clickanywhere`). The
   * point goes where the click's own mouse event was: Plotly's `xvals`/`yvals` come from the
   * last (throttled) hover and can lag a quick click, so they are only the fallback. The axes'
   * ranges are fixed (X_RANGE, Y_RANGE), so the plotting area maps linearly onto them.
   */
  private onClick(ev: { event?: MouseEvent; xvals?: number[]; yvals?: number[] }): void {
    let x = ev.xvals?.[0];
    let y = ev.yvals?.[0];
    const area = this.plot.querySelector('.nsewdrag')?.getBoundingClientRect();
    if (ev.event !== undefined && typeof ev.event.clientX === 'number' && area !== undefined && area.width > 0) {
      x = X_RANGE[0] + ((ev.event.clientX - area.left) / area.width) * (X_RANGE[1] - X_RANGE[0]);
      y = Y_RANGE[1] - ((ev.event.clientY - area.top) / area.height) * (Y_RANGE[1] - Y_RANGE[0]);
    }
    if (typeof x !== 'number' || typeof y !== 'number' || Math.abs(x) > X_LIMIT + 0.25) return;
    this.addPoint(x, y);
  }

  /** A dragged point: Plotly reports its annotation's new position. */
  private onRelayout(ev: Record<string, unknown>): void {
    let moved = false;
    for (const [key, value] of Object.entries(ev)) {
      const m = /^annotations\[(\d+)\]\.(x|y)$/.exec(key);
      if (m === null || typeof value !== 'number') continue;
      const p = this.points[Number(m[1])];
      if (p === undefined) continue;
      if (m[2] === 'x') p.x = Math.min(X_LIMIT, Math.max(-X_LIMIT, value));
      else p.y = value;
      moved = true;
    }
    if (!moved) return;
    if (this.task !== null) for (const p of this.points) p.y = this.yOf(p.x);
    this.update(true);
  }

  private renderPoints(): void {
    const box = this.ui.points;
    box.textContent = '';
    box.appendChild(el('div', {}, `${this.points.length} support point${this.points.length === 1 ? '' : 's'} (click the chart to add one, click a point to remove it, drag it to move it):`));
    const list = el('ol');
    this.points.forEach((p, i) => {
      const li = el('li');
      const number = (label: string, value: number, set: (v: number) => void, enabled: boolean) => {
        const lab = el('label', {}, `${label} `);
        const input = el('input', { type: 'number', step: '0.1', value: value.toFixed(3), style: 'width:6em' }) as HTMLInputElement;
        input.disabled = !enabled;
        input.addEventListener('change', () => {
          const v = Number(input.value);
          if (input.value === '' || !Number.isFinite(v)) return;
          set(v);
          this.update(false);
        });
        lab.appendChild(input);
        li.append(lab, ' ');
      };
      number('x', p.x, (v) => {
        p.x = Math.min(X_LIMIT, Math.max(-X_LIMIT, v));
        if (this.task !== null) p.y = this.yOf(p.x);
      }, true);
      number('y', p.y, (v) => (p.y = v), this.task === null);
      const remove = el('button', { type: 'button', 'aria-label': `remove point ${i + 1}` }, 'remove');
      remove.addEventListener('click', () => this.removePoint(i));
      li.appendChild(remove);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  /** Adapt every shown model to the points and redraw; `pointsChanged` also rebuilds the point list. */
  update(pointsChanged: boolean): Promise<void> {
    const t0 = performance.now();
    const x = this.points.map((p) => p.x);
    const y = this.points.map((p) => p.y);
    const task = this.task === null ? null : { amplitude: this.task.amplitude, phase: this.task.phase };
    // Each model keeps its trajectory for the current points and learning rate, so moving the
    // steps slider only takes the steps not taken yet (the same steps adapt() takes).
    const key = JSON.stringify([x, y, this.lr]);
    for (const m of this.models) {
      if (!m.visible) {
        m.last = null;
        continue;
      }
      const P = this.engine.layout.size;
      if (m.trajectory === undefined || m.trajectory.key !== key) {
        const run = this.engine.start(m.init, { x, y, lr: this.lr });
        // one buffer for all STEPS_MAX + 1 snapshots, reused: no garbage per redraw
        const saved = m.trajectory?.saved ?? new Float64Array((STEPS_MAX + 1) * P);
        saved.set(run.theta, 0);
        m.trajectory = { key, run, saved, firstBad: Infinity };
      }
      const t = m.trajectory;
      while (t.run.steps < this.steps) {
        if (!this.engine.step(t.run)) t.firstBad = Math.min(t.firstBad, t.run.steps);
        t.saved.set(t.run.theta, t.run.steps * P);
      }
      const at = { ...t.run, theta: t.saved.subarray(this.steps * P, (this.steps + 1) * P) };
      m.last = this.engine.score(at, task, t.firstBad <= this.steps);
    }
    const t1 = performance.now();
    const curveX = Array.from(this.engine.curveX);
    const data: Record<string, unknown>[] = [];
    if (task !== null) {
      const truth = PlaygroundEngine.task(task.amplitude, task.phase, []).testSet(200);
      data.push({ type: 'scatter', mode: 'lines', x: Array.from(truth.x), y: Array.from(truth.y), name: 'true function', line: { color: '#444', width: 3 }, hoverinfo: 'skip' });
    }
    for (const m of this.models) {
      if (m.last === null) continue;
      data.push({
        type: 'scatter', mode: 'lines', x: curveX, y: Array.from(m.last.curve, (v) => (Number.isFinite(v) ? v : null)),
        // names without numbers (the table has them): an unchanged legend is not laid out again
        name: m.spec.name, line: { color: m.spec.color, width: 2, dash: 'dash' }, hoverinfo: 'skip',
      });
    }
    data.push({ type: 'scatter', mode: 'markers', x, y, name: 'support points', marker: { symbol: 'circle', size: 11, color: '#000' }, hoverinfo: 'skip' });
    // draggable with edits.annotationPosition; a click emits plotly_clickannotation once
    // (captureevents would add a second emission from the drag handler's click)
    const annotations = this.points.map((p) => ({
      x: p.x, y: p.y, xref: 'x', yref: 'y', text: '&nbsp;&nbsp;&nbsp;', showarrow: false, xanchor: 'center', yanchor: 'middle',
      bordercolor: '#000', borderwidth: 1, borderpad: 2, captureevents: false, hovertext: 'drag to move, click to remove',
    }));
    const title = this.task === null ? 'unknown task: points placed freely' : `A = ${this.task.amplitude.toFixed(2)}, φ = ${this.task.phase.toFixed(2)}`;
    const layout = {
      title: { text: `${title} · ${x.length} point${x.length === 1 ? '' : 's'}` },
      xaxis: { range: X_RANGE, fixedrange: true, title: { text: 'x' }, zeroline: true },
      yaxis: { range: Y_RANGE, fixedrange: true, title: { text: 'y' } },
      margin: { t: 50, r: 20, b: 50, l: 50 }, height: 480, dragmode: false, hovermode: 'closest', clickanywhere: true,
      // no legend: the table below is the legend (colours, toggles, MSEs), and a chart without
      // one redraws faster
      annotations, showlegend: false, uirevision: 'playground',
    };
    const config = { responsive: true, displayModeBar: false, doubleClick: false, edits: { annotationPosition: true } };
    this.ui.task.textContent = this.task === null
      ? 'Unknown task: no true curve, so no test MSE; the table shows how well each model fits the points. ' +
        'Black dots: the points; dashed: each model after the SGD steps (colours as in the table).'
      : `Task: A = ${this.task.amplitude.toFixed(3)}, φ = ${this.task.phase.toFixed(3)} — ${this.task.label}. ` +
        'Grey: the true function; black dots: the support points (a click adds one on the true curve); ' +
        'dashed: each model after the SGD steps (colours as in the table).';
    for (const m of this.models) {
      m.testCell.textContent = m.last === null ? '' : fmt(m.last.testMse) + (m.last.diverged ? ' (diverged)' : '');
      m.fitCell.textContent = m.last === null ? '' : fmt(m.last.supportMse);
    }
    if (pointsChanged) this.renderPoints();
    return this.Plotly.react(this.plot, data, layout, config).then(() => {
      const t2 = performance.now();
      this.redraws++;
      this.timings.push({ computeMs: t1 - t0, totalMs: t2 - t0 });
      if (this.timings.length > 100) this.timings.shift();
      this.ui.timing.textContent = `Redrawn in ${(t2 - t0).toFixed(1)} ms (adapting ${this.models.filter((m) => m.visible).length} models: ${(t1 - t0).toFixed(1)} ms).`;
    });
  }

  /**
   * Everything a test needs to recompute the page's numbers in Node, as JSON; numbers that
   * JSON cannot hold (a run-away adaptation) are written as the strings "NaN", "Infinity".
   */
  stateJson(): string {
    const keepNonFinite = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
    return JSON.stringify({
      task: this.task === null ? null : { amplitude: this.task.amplitude, phase: this.task.phase },
      points: this.points.map((p) => [p.x, p.y]),
      steps: this.steps,
      lr: this.lr,
      curveX: Array.from(this.engine.curveX),
      // the task's 50 test targets A·sin(x + φ) as this browser computes them (its Math.sin)
      gridY: this.task === null ? null : Array.from(PlaygroundEngine.task(this.task.amplitude, this.task.phase, []).testSet().y),
      models: this.models.map((m) => ({
        key: m.spec.key, visible: m.visible,
        theta: m.last === null ? null : Array.from(m.last.theta),
        curve: m.last === null ? null : Array.from(m.last.curve),
        testMse: m.last?.testMse ?? null, supportMse: m.last?.supportMse ?? null, diverged: m.last?.diverged ?? null,
      })),
      timings: this.timings,
      redraws: this.redraws,
    }, keepNonFinite);
  }
}

const instances: Record<string, Playground> = {};

/** Start a playground once plotly.js has drawn its chart (display.ts's plotHtml loads it). */
function start(spec: PlaygroundSpec, waitedMs = 0): void {
  const w = window as unknown as { Plotly?: PlotlyLike };
  const plot = document.getElementById(`${spec.id}-plot`) as PlotlyDiv | null;
  if (w.Plotly === undefined || plot === null || plot._fullLayout === undefined) {
    if (waitedMs > 60_000) {
      const note = document.getElementById(`${spec.id}-note`);
      if (note) note.textContent = 'plotly.js did not load, so the playground cannot start.';
      return;
    }
    setTimeout(() => start(spec, waitedMs + 25), 25);
    return;
  }
  const pg = new Playground(spec, w.Plotly);
  instances[spec.id] = pg;
  void pg.update(true);
}

/** The test hook: the state of one playground (the only one when `id` is omitted), as JSON. */
function state(id?: string): string {
  const pg = id === undefined ? Object.values(instances)[0] : instances[id];
  return pg === undefined ? 'null' : pg.stateJson();
}

(window as unknown as { mamlPlayground: unknown }).mamlPlayground = { start, state, instances };
