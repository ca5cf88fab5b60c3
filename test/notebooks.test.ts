/**
 * Every notebook runs at MAML_SCALE=quick without a failing cell (the cells assert key facts),
 * and every exported report renders in a real browser, offline: Debian's Chromium through
 * puppeteer-core, all network requests refused, every chart drawn with its traces, tables and
 * equations present, no page errors. Screenshots go to the report folder's screenshots/.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { launchChromium, offlinePage } from './browser';
import { scratchDir } from './scratch';

const root = path.join(__dirname, '..');
const out = process.env.MAML_TEST_REPORTS ?? scratchDir('maml-sine-reports-');
const notebooks = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
let browser: Browser;
let report: { status: number | null; stdout: string; stderr: string };

before(async () => {
  // a fresh checkpoint folder: the notebooks must train what they do not find
  const checkpoints = scratchDir('maml-sine-ckpt-');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'report.ts'), '--out', out], {
    cwd: root, encoding: 'utf8', env: { ...process.env, MAML_SCALE: 'quick', MAML_CHECKPOINTS: checkpoints },
  });
  report = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test('npm run report executes every notebook at quick scale and writes the HTML reports', () => {
  assert.equal(report.status, 0, `report failed:\n${report.stderr.slice(-4000)}`);
  assert.match(report.stdout, new RegExp(`reports: ${notebooks.length} notebooks`));
  assert.ok(notebooks.length >= 7);
  for (const nb of notebooks) {
    assert.ok(fs.existsSync(path.join(out, nb.replace(/\.ipynb$/, '.html'))), nb);
    const executed = JSON.parse(fs.readFileSync(path.join(out, nb), 'utf8'));
    assert.match(JSON.stringify(executed.cells.map((c: { outputs?: unknown }) => c.outputs ?? [])), /scale: quick/, `${nb} prints its scale`);
  }
  // signed (the classic notebook shows script output, i.e. charts, only for trusted notebooks)
  const check = spawnSync('/usr/bin/python3', ['-c',
    'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nn = NotebookNotary()\n' +
    'print(all(n.check_signature(nbformat.read(p, 4)) for p in sys.argv[1:]))', ...notebooks.map((nb) => path.join(out, nb))], { encoding: 'utf8' });
  assert.equal(check.stdout.trim(), 'True', `executed notebooks are not all signed: ${check.stderr}`);
});

/** What scripts/setup.sh configures; .gitattributes applies it to notebooks/*.ipynb. */
const CLEAN_FILTER = '/usr/bin/python3 scripts/strip_notebook_outputs.py';

function git(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const inGit = git(['rev-parse', '--is-inside-work-tree']).stdout.trim() === 'true';

/** The blob id git would store for `file` at notebooks/NAME (the clean filter applied, configured or not). */
function gitHashAs(nb: string, file: string): string {
  if (!inGit) { // no repository: what the filter would store, compared as text
    return spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'strip_notebook_outputs.py')], { input: fs.readFileSync(file), encoding: 'utf8' }).stdout;
  }
  const r = git(['-c', `filter.strip-notebook-outputs.clean=${CLEAN_FILTER}`, 'hash-object', '--path', `notebooks/${nb}`, file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('saved notebooks carry no outputs: what git stores (the index), and the clean filter keeps it so', () => {
  if (!inGit) console.error('notebooks.test: not a git checkout; checking the files on disk instead of what git stores');
  const configured = git(['config', '--get', 'filter.strip-notebook-outputs.clean']).stdout.trim();
  if (inGit && configured === '') console.error('notebooks.test: the git clean filter is not configured here (bash scripts/setup.sh configures it)');
  else if (inGit) assert.match(configured, /python3? scripts\/strip_notebook_outputs\.py$/, 'the configured filter is the one the tests check');
  assert.match(fs.readFileSync(path.join(root, '.gitattributes'), 'utf8'), /^notebooks\/\*\.ipynb filter=strip-notebook-outputs$/m);
  for (const nb of notebooks) {
    const stored = inGit ? git(['show', `:notebooks/${nb}`]).stdout : fs.readFileSync(path.join(root, 'notebooks', nb), 'utf8');
    const saved = JSON.parse(stored);
    for (const cell of saved.cells) {
      if (cell.cell_type !== 'code') continue;
      assert.deepEqual(cell.outputs, [], `${nb} has outputs in git`);
      assert.equal(cell.execution_count, null, `${nb} has execution counts in git`);
    }
    assert.equal(saved.metadata.kernelspec.name, 'tslab');
    const cleaned = spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'strip_notebook_outputs.py')], { input: stored, encoding: 'utf8' });
    assert.equal(cleaned.stdout, stored, `${nb}: the clean filter would change what git stores (not in Jupyter's own layout?)`);
  }
});

test('an executed, saved notebook looks unchanged to git (clean filter), though it keeps its outputs on disk', () => {
  assert.equal(report.status, 0, 'the report run failed');
  for (const nb of notebooks) {
    const executed = path.join(out, nb);
    assert.ok(JSON.parse(fs.readFileSync(executed, 'utf8')).cells.some((c: { outputs?: unknown[] }) => (c.outputs ?? []).length > 0), `${nb} executed has outputs`);
    assert.equal(gitHashAs(nb, executed), gitHashAs(nb, path.join(root, 'notebooks', nb)), `${nb}: git would see the executed copy as a change`);
  }
});

for (const nb of notebooks) {
  const html = nb.replace(/\.ipynb$/, '.html');
  test(`report ${html} renders offline in Chromium: charts drawn, tables and equations present, no errors`, async () => {
    assert.equal(report.status, 0, 'the report run failed');
    const { page, external, problems } = await offlinePage(browser);
    page.on('requestfailed', (req) => {
      if (req.url().startsWith('file:')) problems.push(`missing file: ${req.url()}`);
    });
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(pathToFileURL(path.join(out, html)).href, { waitUntil: 'load' });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.maml-sine-plot')).every((el) => el.querySelector('.main-svg')), { timeout: 30_000 });
    const facts = await page.evaluate(() => {
      const plots = Array.from(document.querySelectorAll('.maml-sine-plot')) as (HTMLElement & { data?: unknown[]; _fullData?: unknown[] })[];
      return {
        plots: plots.length,
        tracesPerPlot: plots.map((p) => p.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length),
        dataPerPlot: plots.map((p) => (p.data ?? []).length),
        tables: document.querySelectorAll('table.maml-sine-table').length,
        math: document.querySelectorAll('.katex').length,
        mathErrors: document.querySelectorAll('.katex-error').length,
      };
    });
    fs.mkdirSync(path.join(out, 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(out, 'screenshots', html.replace(/\.html$/, '.png')) as `${string}.png`, fullPage: true });
    await page.close();
    assert.deepEqual(external, [], 'the page asked for something off this disk');
    assert.deepEqual(problems, []);
    assert.ok(facts.plots >= 1, 'at least one chart');
    facts.tracesPerPlot.forEach((drawn, i) => {
      assert.ok(facts.dataPerPlot[i] > 0 && drawn > 0, `chart ${i}: ${facts.dataPerPlot[i]} traces given, ${drawn} drawn`);
    });
    if (!nb.startsWith('06')) assert.ok(facts.tables >= 1, 'a result table');
    assert.ok(facts.math >= 1, 'equations rendered');
    assert.equal(facts.mathErrors, 0, 'every equation parses');
  });
}

test('index.html links every report', () => {
  const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  for (const nb of notebooks) assert.ok(index.includes(`href="${nb.replace(/\.ipynb$/, '.html')}"`), nb);
});

test('npm run report writes playground.html, linked from index.html, and it starts offline in Chromium', async () => {
  assert.equal(report.status, 0, 'the report run failed');
  assert.ok(fs.readFileSync(path.join(out, 'index.html'), 'utf8').includes('href="playground.html"'));
  const { page, external, problems } = await offlinePage(browser);
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(pathToFileURL(path.join(out, 'playground.html')).href, { waitUntil: 'load' });
  // the page's test hook (lib/display/playgroundBrowser.ts): its state once the first redraw is done
  await page.waitForFunction(() => JSON.parse((window as unknown as { mamlPlayground: { state(): string } }).mamlPlayground.state())?.redraws > 0, { timeout: 30_000 });
  const models = await page.evaluate(() => JSON.parse((window as unknown as { mamlPlayground: { state(): string } }).mamlPlayground.state()).models.length);
  fs.mkdirSync(path.join(out, 'screenshots'), { recursive: true });
  await page.screenshot({ path: path.join(out, 'screenshots', 'playground.png') as `${string}.png`, fullPage: true });
  await page.close();
  assert.equal(models, 7);
  assert.deepEqual(external, [], 'the page asked for something off this disk');
  assert.deepEqual(problems, []);
});
