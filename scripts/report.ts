/**
 * npm run report: execute every notebook, sign the executed copies and export them as HTML.
 *
 *   npm run report [-- --out DIR] [-- --only 01,04] [-- --jobs N]
 *
 * --notebooks DIR: run the NN-*.ipynb of another folder (the tests' failing notebooks).
 * --jobs: notebooks executed at once (default 2, or 1 on one core). Notebook 9 starts first and
 * runs beside the others, then the notebooks that train the recipe's models (ORDER below); a
 * notebook that loads models another one trains waits for it.
 * Installs the tslab Jupyter kernel for this project when it is missing, runs each notebook
 * from a fresh kernel (notebooks/NN-*.ipynb -> DIR/NN-*.ipynb, signed so the classic notebook
 * shows its charts), exports DIR/NN-*.html with an offline template, and writes DIR/index.html.
 * A failing cell stops the run with the cell and its error, and exit code 1. Ctrl-C (or SIGTERM,
 * or SIGHUP when the terminal closes) stops it with one line: the running notebooks are
 * interrupted and their kernels shut down before it exits 130 (143, 129); trained models and
 * training snapshots stay for the next run.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointDir, currentScale, projectRoot } from '../lib/experiment/experiment';
import { escapeHtml } from '../lib/display/display';
import { writeFileAtomic } from '../lib/runtime/checkpoint';
import { writePlaygroundReport } from '../lib/display/playground';

const PYTHON = '/usr/bin/python3';
const root = projectRoot(__dirname);

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${what} failed (exit ${r.status ?? r.signal})`);
  }
  return r.stdout;
}

/** The processes running now (notebook executions). */
const running = new Set<ChildProcess>();

/** The signals that stop a run; it then ends with exit code 128 + the signal's number (130, 143, 129). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const exitCodeFor = (signal: (typeof STOP_SIGNALS)[number]) => 128 + os.constants.signals[signal];

/** Set by Ctrl-C, SIGTERM or SIGHUP (the terminal closed): no notebook starts after it. */
let stoppedBy: (typeof STOP_SIGNALS)[number] | null = null;

/** A notebook stopped because the whole run was (not a failure of its own: no output dumped). */
class StoppedError extends Error {}

/**
 * Like run(), without waiting: notebooks run side by side. Each runs in a process group of its
 * own, so that Ctrl-C reaches this process alone and it sends each notebook exactly one SIGINT
 * (a second one would cut short nbclient's shutdown of the kernel).
 */
function runInBackground(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // MAML_REPORT_PID: execute_notebook.py stops by itself once this process is gone
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAML_REPORT_PID: String(process.pid) }, detached: true });
    running.add(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      if (code === 0) resolve();
      else if (stoppedBy !== null) reject(new StoppedError(`${what} stopped`));
      else {
        process.stderr.write(output);
        reject(new Error(`${what} failed (exit ${code})`));
      }
    });
  });
}

/** SIGINT to each running notebook not signalled yet: a second one would cut nbclient's shutdown of its kernel short. */
function interruptRunning(): void {
  for (const child of running) if (!child.killed) child.kill('SIGINT');
}

/**
 * Ctrl-C / SIGTERM / SIGHUP: one line, then each running notebook gets SIGINT (nbclient shuts its
 * kernel down; a training keeps the snapshot it wrote in the last 2 s, which the next run
 * resumes) and the run exits once they have stopped. A second signal exits at once. (Killed
 * outright, the run cannot do this; scripts/execute_notebook.py then notices its parent is gone
 * and stops by itself.)
 */
function stopOnSignals(): void {
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stoppedBy !== null) process.exit(exitCodeFor(signal));
      stoppedBy = signal;
      console.error(`report: ${signal}: ${running.size > 0 ? `stopping ${running.size} running notebook(s) and shutting their kernels down` : 'stopping'}; ` +
        `models already trained stay in ${checkpointDir()}, an unfinished training keeps its snapshot (*.partial) there ` +
        `and the next run resumes it`);
      interruptRunning();
    });
  }
}

/**
 * Notebooks that load models another notebook trains (the same recipe, in the same checkpoint
 * folder): each starts after those, so that one trains and the others load. Only an order, for
 * speed: a notebook run on its own trains whatever it does not find.
 */
const LOADS_FROM: Record<string, string[]> = {
  '05': ['04'], // MAML
  '06': ['05'], // transfer
  '07': ['04'], // MAML
  '08': ['04', '07'], // MAML, first-order MAML
  '10': ['04', '05', '07'], // MAML and first-order MAML with and without the leak, transfer
  '11': ['04', '05', '07', '08'], // every recipe model
};
/**
 * The order notebooks start in (the rest after, by number): notebook 9 trains the longest and
 * shares no model, so it runs beside the others; next the chain that trains the recipe's models
 * (4, 5, 7, 8) and the notebooks that load them, so that no slot waits for a model; the short
 * notebooks last, to fill the ends. Replaying the durations of a full report (2026-11-28) through
 * this scheduler: 188 s, against 214 s in numeric order, where a slot sat idle ~20 s waiting for
 * notebook 7's models.
 */
const ORDER = ['09', '04', '05', '07', '08', '10', '11', '06', '01', '02', '03'];

/**
 * Run `execute` for every notebook, `jobs` at a time, each after the notebooks it loads from
 * (LOADS_FROM, among those selected). On the first failure the other notebooks are interrupted
 * (SIGINT: nbclient shuts their kernels down) and the failure is thrown once they have stopped.
 */
async function runNotebooks(notebooks: string[], jobs: number, execute: (file: string) => Promise<void>): Promise<void> {
  const key = (file: string) => file.slice(0, 2);
  const selected = new Set(notebooks.map(key));
  const rank = (file: string) => (ORDER.includes(key(file)) ? ORDER.indexOf(key(file)) : ORDER.length);
  const queue = [...notebooks].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const finished = new Set<string>();
  let failure: Error | null = null;
  const ready = (file: string) => (LOADS_FROM[key(file)] ?? []).every((k) => !selected.has(k) || finished.has(k));
  await new Promise<void>((resolve) => {
    let active = 0;
    const next = (): void => {
      while (failure === null && stoppedBy === null && active < jobs) {
        const i = queue.findIndex(ready);
        if (i < 0) break;
        const [file] = queue.splice(i, 1);
        active++;
        execute(file).then(
          () => finished.add(key(file)),
          (err: Error) => {
            if (failure === null) {
              failure = err;
              if (stoppedBy === null) interruptRunning();
            }
          },
        ).finally(() => {
          active--;
          next();
        });
      }
      if (active === 0) resolve();
    };
    next();
  });
  if (failure !== null) throw failure;
}

function checkPrerequisites(): void {
  const r = spawnSync(PYTHON, ['-c', 'import nbclient, nbconvert, nbformat, ipykernel'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${PYTHON} cannot import nbclient/nbconvert/nbformat (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}): run 'bash scripts/setup.sh' first`);
  }
}

/** Register the tslab kernel (this project's scripts/tslab-kernel, which starts its tslab) unless it already is. */
function ensureKernel(): void {
  const tslab = path.join(root, 'scripts', 'tslab-kernel');
  const probe = spawnSync(PYTHON, ['-c', "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec('tslab').argv[0])"], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === tslab) return;
  console.error(`report: registering the tslab kernel (${tslab})`);
  run(tslab, ['install', `--python=${PYTHON}`, `--binary=${tslab}`, '--user'], 'tslab install');
}

function copyAssets(out: string): void {
  const assets = path.join(out, 'assets');
  fs.mkdirSync(assets, { recursive: true });
  fs.copyFileSync(require.resolve('plotly.js-dist/plotly.js'), path.join(assets, 'plotly.js'));
  fs.cpSync(path.join(path.dirname(require.resolve('katex/package.json')), 'dist'), path.join(assets, 'katex'), { recursive: true });
}

function notebookTitle(file: string): string {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  const first = nb.cells.find((c: { cell_type: string }) => c.cell_type === 'markdown');
  const source = Array.isArray(first?.source) ? first.source.join('') : String(first?.source ?? '');
  return (source.match(/^#\s+(.*)$/m)?.[1] ?? path.basename(file)).trim();
}

/** Bad arguments: one line, exit code 2, before anything runs. */
class UsageError extends Error {}

function parseArgs(argv: string[]): { out: string; only: string[] | null; jobs: number; notebookDir: string } {
  let out = path.join(root, 'reports');
  let notebookDir = path.join(root, 'notebooks');
  let only: string[] | null = null;
  let jobs = Math.min(2, os.availableParallelism());
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = path.resolve(argv[++i] ?? '');
    else if (argv[i] === '--notebooks') notebookDir = path.resolve(argv[++i] ?? '');
    else if (argv[i] === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (argv[i] === '--jobs') {
      const text = argv[++i] ?? '';
      jobs = Number(text);
      if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`--jobs ${JSON.stringify(text)}: expected a whole number of notebooks to run at once, 1 or more`);
    } else throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}: expected --out DIR, --only 01,02, --jobs N or --notebooks DIR`);
  }
  return { out, only, jobs, notebookDir };
}

async function main(): Promise<void> {
  const { out, only, jobs, notebookDir } = parseArgs(process.argv.slice(2));
  const scale = currentScale();
  const notebooks = fs
    .readdirSync(notebookDir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && (only === null || only.includes(f.slice(0, 2))))
    .sort();
  if (notebooks.length === 0) {
    console.log('no notebooks yet');
    return;
  }
  checkPrerequisites();
  ensureKernel();
  stopOnSignals();
  fs.mkdirSync(out, { recursive: true });
  copyAssets(out);
  const start = Date.now();
  const done: { file: string; title: string; seconds: number }[] = [];
  await runNotebooks(notebooks, jobs, async (file) => {
    const t0 = Date.now();
    const src = path.join(notebookDir, file);
    const executed = path.join(out, file);
    console.error(`report: executing ${file} (scale ${scale.name})`);
    // executes, signs and exports DIR/NN-*.html with the offline template, in one Python process
    await runInBackground(PYTHON, [path.join(root, 'scripts', 'execute_notebook.py'), src, executed,
      path.join(root, 'scripts', 'nbconvert'), 'maml-sine'], `executing ${file}`);
    done.push({ file, title: notebookTitle(src), seconds: (Date.now() - t0) / 1000 });
    console.error(`report: ${file} executed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  done.sort((a, b) => a.file.localeCompare(b.file));
  // the live chart, from the checkpoints the notebooks just trained or loaded
  // a notebook may have finished normally although the run was stopped: start nothing more
  if (stoppedBy !== null) throw new StoppedError('stopped');
  const playground = only === null || only.includes('11') ? await writePlaygroundReport(out, scale) : null;
  if (stoppedBy !== null) throw new StoppedError('stopped'); // the index stays as the last whole run left it
  const seconds = (Date.now() - start) / 1000;
  const rows = done
    .map((d) => `<li><a href="${escapeHtml(d.file.replace(/\.ipynb$/, '.html'))}">${escapeHtml(d.title)}</a> <small>(executed in ${d.seconds.toFixed(0)} s; <a href="${escapeHtml(d.file)}">executed notebook</a>)</small></li>`)
    .join('\n') +
    (playground ? `\n<li><a href="playground.html">Try it yourself: adapt the trained models live</a> <small>(standalone page)</small></li>` : '');
  writeFileAtomic(
    path.join(out, 'index.html'),
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>maml-sine reports</title>\n` +
      `<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.5}</style></head><body>\n` +
      `<h1>maml-sine: MAML on sine regression</h1>\n<p>Executed ${new Date().toISOString()} at scale <b>${scale.name}</b> ` +
      `(${scale.replicas} models, ${scale.trainTasks} training tasks, ${scale.testTasks} held-out tasks) in ${seconds.toFixed(0)} s.</p>\n<ol>\n${rows}\n</ol>\n</body></html>\n`,
  );
  console.log(`reports: ${done.length} notebooks in ${seconds.toFixed(0)} s -> ${path.join(out, 'index.html')}`);
}

main().then(
  () => {
    if (stoppedBy !== null) process.exit(exitCodeFor(stoppedBy));
  },
  (err) => {
    if (stoppedBy !== null && err instanceof StoppedError) process.exit(exitCodeFor(stoppedBy));
    console.error(`report: ${(err as Error).message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
