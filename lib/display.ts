/**
 * Rich output for the tslab notebooks: Plotly charts, HTML tables and in-place progress bars.
 *
 * tslab's public `display` sends one MIME type per output; a chart needs a bundle: the Plotly
 * MIME type (JupyterLab's renderer draws it), HTML that draws it with plotly.js (the classic
 * notebook and the exported HTML reports use it) and plain text. The bundle goes through
 * tslab's own writer for the running cell. Outside a kernel (tests, scripts) output falls back
 * to text on stdout.
 */
import { randomBytes } from 'node:crypto';
import type { Progress } from './train';
import { formatDuration } from './progress';

export type MimeBundle = Record<string, unknown>;
type Writer = (content: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => void;

function kernelWriter(): Writer | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('tslab/dist/jupyter') as { lastWriteDisplayData: Writer | null }).lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** True inside a running tslab kernel. */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}

/** Send one output with several MIME types; with `displayId`, `update` replaces that output. */
export function displayBundle(data: MimeBundle, displayId?: string, update = false): void {
  const write = kernelWriter();
  if (write === null) {
    if (typeof data['text/plain'] === 'string') console.log(data['text/plain']);
    return;
  }
  write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** 6 significant digits: plenty for a chart, and a third of the JSON of full doubles. */
function round(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : null;
}

/** Typed arrays become plain arrays (numbers rounded) so the figure is compact JSON for Plotly. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, round);
  if (typeof value === 'number') return round(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/**
 * Where the live classic notebook finds plotly.js when no page script has loaded it: the
 * Jupyter server's file route, relative to the server root (the project folder).
 */
const PLOTLY_FALLBACK_SRC = 'files/node_modules/plotly.js-dist/plotly.js';

export function plotHtml(figure: Figure, divId = `plot-${randomBytes(6).toString('hex')}`): string {
  const spec = JSON.stringify(plain({ data: figure.data, layout: figure.layout ?? {}, config: { responsive: true, ...(figure.config ?? {}) } }));
  return (
    `<div id="${divId}" class="maml-sine-plot" style="width:100%;min-height:420px"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${spec.replace(/</g, '\\u003c')};\n` +
    `  function draw() { window.Plotly.newPlot(${JSON.stringify(divId)}, spec.data, spec.layout, spec.config); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var base = (document.body && document.body.getAttribute('data-base-url')) || '/';\n` +
    `  var s = document.createElement('script'); s.src = base + ${JSON.stringify(PLOTLY_FALLBACK_SRC)}; s.onload = draw;\n` +
    `  document.head.appendChild(s);\n` +
    `})();</script>`
  );
}

/** Draw a Plotly figure inline. */
export function plot(figure: Figure): void {
  const data = plain(figure.data) as Record<string, unknown>[];
  const layout = (plain(figure.layout ?? {}) as Record<string, unknown>);
  const title = typeof layout.title === 'string' ? layout.title : (layout.title as { text?: string } | undefined)?.text ?? 'chart';
  displayBundle({
    'application/vnd.plotly.v1+json': { data, layout, config: figure.config ?? {} },
    'text/html': plotHtml(figure),
    'text/plain': `<Plotly figure: ${title}, ${data.length} trace(s)>`,
  });
}

/** Show an HTML table (with a text fallback). */
export function showTable(html: string, text: string): void {
  displayBundle({ 'text/html': html, 'text/plain': text });
}

/**
 * A progress bar that redraws one output in place (update_display_data), so 200,000 tasks
 * give one line, not thousands. Outside a kernel it writes a line per 10% to stderr.
 */
export function progressBar(label: string): (p: Progress) => void {
  const id = `progress-${randomBytes(8).toString('hex')}`;
  let shown = false;
  let lastUpdate = 0;
  let lastDecile = -1;
  return (p) => {
    const frac = p.total > 0 ? p.done / p.total : 1;
    const text =
      `${label}: ${(100 * frac).toFixed(0)}% (${p.done}/${p.total} tasks, replica ${p.replica + 1}/${p.replicas}), ` +
      `loss ${p.loss.toFixed(3)}, ${formatDuration(p.elapsedMs)}`;
    if (!inKernel()) {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${text}\n`);
      }
      return;
    }
    const now = Date.now();
    if (shown && p.done < p.total && now - lastUpdate < 250) return; // at most 4 redraws a second
    lastUpdate = now;
    const html =
      `<div class="maml-sine-progress"><progress value="${p.done}" max="${p.total}" style="width:40%"></progress> ` +
      `<span>${escapeHtml(text)}</span></div>`;
    displayBundle({ 'text/html': html, 'text/plain': text }, id, shown);
    shown = true;
  };
}
