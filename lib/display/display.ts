/**
 * Rich output for the tslab notebooks: Plotly charts, HTML tables and in-place progress bars.
 *
 * tslab's public `display` sends one MIME type per output; a chart needs a bundle: the Plotly
 * MIME type (JupyterLab's renderer draws it), a script that draws it with plotly.js (the classic
 * notebook and nbconvert's HTML exports, the reports included, run it), an HTML note for where
 * scripts cannot run (untrusted notebooks, sanitized exports) and plain text. The bundle goes through
 * tslab's own writer for the running cell. Outside a kernel (tests, scripts) output falls back
 * to text on stdout.
 *
 * Used by every notebook; README "Reading the notebooks live" explains the chart outputs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Progress } from '../training/train';
import { formatDuration, lossText, replicasText } from '../training/progress';

/** A Jupyter display bundle: MIME type -> content. */
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

/** Text made safe to put inside HTML (& < > " ' escaped). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A Plotly figure: traces, layout and config, as plotly.js takes them. */
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
 * Where a page without plotly.js gets it, in this order: the Jupyter server's file route (the live
 * classic notebook started from the project folder; tried only on a page a Jupyter server made,
 * which has `data-base-url`), then the same file from the public jsDelivr copy of the pinned npm
 * package, with its subresource-integrity hash (an exported HTML file opened elsewhere; needs the
 * network). The reports of `npm run report` load plotly.js from their own assets/ folder first.
 */
const PLOTLY_SERVER_PATH = 'files/node_modules/plotly.js-dist/plotly.js';

let plotlySource: { url: string; integrity: string } | null = null;
/** The pinned public copy and its integrity hash, computed once from the installed package. */
export function plotlyPublicCopy(): { url: string; integrity: string } {
  if (plotlySource === null) {
    const file = require.resolve('plotly.js-dist/plotly.js');
    const version = (JSON.parse(readFileSync(require.resolve('plotly.js-dist/package.json'), 'utf8')) as { version: string }).version;
    plotlySource = {
      url: `https://cdn.jsdelivr.net/npm/plotly.js-dist@${version}/plotly.js`,
      integrity: `sha384-${createHash('sha384').update(readFileSync(file)).digest('base64')}`,
    };
  }
  return plotlySource;
}

const TRUST_HINT = 'trust the notebook (classic notebook: File > Trust Notebook; or jupyter trust NOTEBOOK.ipynb)';

/**
 * The chart as a script (the `application/javascript` part): the classic notebook and nbconvert's
 * HTML export (JupyterLab's File > Save and Export As > HTML) run it where scripts may run. It
 * draws into the output's `element` (a DOM node, or jQuery in the classic notebook), loading
 * plotly.js once per page if needed, and says in the output area why when it cannot.
 */
export function plotJavaScript(figure: Figure, hostId?: string): string {
  const spec = JSON.stringify(plain({ data: figure.data, layout: figure.layout ?? {}, config: { responsive: true, ...(figure.config ?? {}) } }));
  const publicCopy = plotlyPublicCopy();
  return (
    `(function (element) {\n` +
    `  var spec = ${spec.replace(/</g, '\\u003c')};\n` +
    `  var host = element && element.jquery ? element[0] : element;\n` +
    `  if (!host) host = document.getElementById(${JSON.stringify(hostId ?? '')});\n` +
    `  var note = host.querySelector('.maml-sine-plot-note');\n` +
    `  if (note) note.parentNode.removeChild(note);\n` +
    `  var div = document.createElement('div');\n` +
    `  div.className = 'maml-sine-plot';\n` +
    `  div.style.cssText = 'width:100%;min-height:420px';\n` +
    `  host.appendChild(div);\n` +
    `  function draw() { window.Plotly.newPlot(div, spec.data, spec.layout, spec.config); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var sources = [];\n` +
    `  var base = document.body && document.body.getAttribute('data-base-url');\n` +
    `  if (base) sources.push({ src: base + ${JSON.stringify(PLOTLY_SERVER_PATH)} });\n` +
    `  sources.push({ src: ${JSON.stringify(publicCopy.url)}, integrity: ${JSON.stringify(publicCopy.integrity)} });\n` +
    `  window.mamlSinePlotly = window.mamlSinePlotly || new Promise(function (resolve, reject) {\n` +
    `    (function next(i) {\n` +
    `      if (i >= sources.length) { reject(sources.map(function (s) { return s.src; }).join(' or ')); return; }\n` +
    `      var s = document.createElement('script');\n` +
    `      s.src = sources[i].src;\n` +
    `      if (sources[i].integrity) { s.integrity = sources[i].integrity; s.crossOrigin = 'anonymous'; }\n` +
    `      s.onload = function () { if (window.Plotly) resolve(); else next(i + 1); };\n` +
    `      s.onerror = function () { next(i + 1); };\n` +
    `      document.head.appendChild(s);\n` +
    `    })(0);\n` +
    `  });\n` +
    `  window.mamlSinePlotly.then(draw, function (tried) {\n` +
    `    div.style.minHeight = '0';\n` +
    `    div.textContent = 'Chart not drawn: plotly.js could not be loaded from ' + tried +\n` +
    `      ' (offline?). The reports written by npm run report carry their own copy and draw offline.';\n` +
    `  });\n` +
    `})(null);\n`
  );
}

/**
 * The chart's `text/html` part, shown only where its script cannot run: an untrusted notebook in
 * the classic notebook, or an HTML export with sanitizing on. Only tags that nbconvert's
 * sanitizer keeps (b, em, code), so it reads the same there.
 */
export function plotNoteHtml(title: string, traces: number): string {
  return (
    `<b>Chart “${escapeHtml(title)}” (${traces} trace${traces === 1 ? '' : 's'}) is not drawn here:</b> ` +
    `<em>it is drawn by a script, and scripts do not run in an untrusted notebook or a sanitized HTML export.</em> ` +
    `To see it, trust the notebook (classic notebook: File &gt; Trust Notebook, or ` +
    `<code>jupyter trust notebooks/NN-name.ipynb</code>), open it in JupyterLab (its Plotly renderer draws it), ` +
    `export without sanitizing, or read the report that <code>npm run report</code> writes.`
  );
}

/** Draw a Plotly figure inline. */
export function plot(figure: Figure): void {
  const data = plain(figure.data) as Record<string, unknown>[];
  const layout = (plain(figure.layout ?? {}) as Record<string, unknown>);
  const title = typeof layout.title === 'string' ? layout.title : (layout.title as { text?: string } | undefined)?.text ?? 'chart';
  const hostId = `plot-${randomBytes(6).toString('hex')}`;
  displayBundle({
    'application/vnd.plotly.v1+json': { data, layout, config: figure.config ?? {} },
    // no application/javascript part: JupyterLab 4.6 prefers it to the Plotly renderer (measured)
    'text/html': `<div id="${hostId}"><span class="maml-sine-plot-note">${plotNoteHtml(title, data.length)}</span></div>\n` +
      `<script type="text/javascript">${plotJavaScript(figure, hostId)}</script>`,
    'text/plain': `<Plotly figure: ${title}, ${data.length} trace(s); if it is not drawn, ${TRUST_HINT}>`,
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
      `${label}: ${(100 * frac).toFixed(0)}% (${p.done}/${p.total} tasks, ${replicasText(p)}), ` +
      `${lossText(p)}, ${formatDuration(p.elapsedMs)}`;
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

/**
 * The former chart HTML, unchanged, for lib/display/playground.ts (which redraws into `divId`): plotly.js
 * from the page, else from the Jupyter server's files/ route.
 */
export function plotHtml(figure: Figure, divId = `plot-${randomBytes(6).toString('hex')}`): string {
  const spec = JSON.stringify(plain({ data: figure.data, layout: figure.layout ?? {}, config: { responsive: true, ...(figure.config ?? {}) } }));
  return (
    `<div id="${divId}" class="maml-sine-plot" style="width:100%;min-height:420px"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${spec.replace(/</g, '\\u003c')};\n` +
    `  function draw() { window.Plotly.newPlot(${JSON.stringify(divId)}, spec.data, spec.layout, spec.config); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var base = (document.body && document.body.getAttribute('data-base-url')) || '/';\n` +
    `  var s = document.createElement('script'); s.src = base + ${JSON.stringify(PLOTLY_SERVER_PATH)}; s.onload = draw;\n` +
    `  document.head.appendChild(s);\n` +
    `})();</script>`
  );
}
