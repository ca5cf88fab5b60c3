/**
 * The classic notebook (Debian's `jupyter notebook`, what the README also offers), light check:
 * notebook 01 at MAML_SCALE=quick, Run All in Chromium, charts drawn by the output's script with
 * plotly.js from the server's files/ route, tables present, no error output, nothing asked off
 * 127.0.0.1; Save leaves git clean. Then a copy of the saved notebook that this user never
 * signed (as when someone else ran it): each chart area explains how to trust the notebook.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../browser';
import { scratchDir } from '../scratch';

const root = path.join(__dirname, '..', '..');
const NB = '01-sine-tasks.ipynb';
const shots = process.env.MAML_TEST_SCREENSHOTS ?? scratchDir('maml-sine-classic-shots-');
// git-ignored and not hidden (the notebook server refuses hidden folders): the unsigned copy
const scratch = path.join(root, 'reports', 'untrusted-check');
const copy = path.join(scratch, `untrusted-${NB}`);

let server: ChildProcess | undefined;
let log = '';
let base = '';
let token = '';
let browser: Browser | undefined;
let original: Buffer;
let checkpointsExisted = true;

before(async () => {
  original = fs.readFileSync(path.join(root, 'notebooks', NB));
  checkpointsExisted = fs.existsSync(path.join(root, 'notebooks', '.ipynb_checkpoints'));
  const tmp = scratchDir('maml-sine-classic-');
  // this checkout's tslab as the 'tslab' kernel, whatever is registered for the user
  fs.mkdirSync(path.join(tmp, 'path', 'kernels', 'tslab'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'path', 'kernels', 'tslab', 'kernel.json'), JSON.stringify({
    argv: [path.join(root, 'scripts', 'tslab-kernel'), 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript',
  }));
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  token = randomBytes(16).toString('hex');
  base = `http://127.0.0.1:${port}`;
  // classic.sh adds --ip=127.0.0.1 --no-browser --notebook-dir (and --allow-root as root)
  const args = [`--port=${port}`, `--NotebookApp.token=${token}`];
  // started the way users start it (npm run classic = scripts/classic.sh, with the save hook)
  server = spawn('bash', [path.join(root, 'scripts', 'classic.sh'), ...args], {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAML_SCALE: 'quick', MAML_CHECKPOINTS: path.join(tmp, 'checkpoints'), JUPYTER_PATH: path.join(tmp, 'path'),
      JUPYTER_CONFIG_DIR: path.join(tmp, 'config'), JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'), JUPYTER_DATA_DIR: path.join(tmp, 'data') },
  });
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  const t0 = Date.now();
  for (;;) {
    assert.equal(server.exitCode, null, `jupyter notebook exited:\n${log.slice(-3000)}`);
    try {
      if ((await fetch(`${base}/api/status?token=${token}`)).ok) break;
    } catch {
      // not yet
    }
    assert.ok(Date.now() - t0 < 60_000, `jupyter notebook did not start:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server?.pid !== undefined && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  fs.writeFileSync(path.join(root, 'notebooks', NB), original);
  // the index recorded the saved file's size: refresh it, or git status lists the restored file
  spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'jupyter', 'maml_sine_save_hook.py'), path.join(root, 'notebooks', NB)]);
  fs.rmSync(scratch, { recursive: true, force: true });
  if (!checkpointsExisted) fs.rmSync(path.join(root, 'notebooks', '.ipynb_checkpoints'), { recursive: true, force: true });
});

/** The notebook at url open in the classic notebook; with withKernel, its kernel connected and idle. */
async function open(url: string, withKernel = true): Promise<{ page: Page; external: string[]; errors: string[] }> {
  const page = await browser!.newPage();
  const external: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url().startsWith(base) || req.url().startsWith('data:') || req.url().startsWith('blob:')) return void req.continue();
    external.push(req.url());
    void req.abort();
  });
  page.on('pageerror', (err) => errors.push((err as Error).message));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction((withKernel) => {
    const J = (window as unknown as { Jupyter?: { notebook?: { _fully_loaded?: boolean; kernel?: { is_connected(): boolean } } } }).Jupyter;
    if (!withKernel) return J?.notebook?._fully_loaded === true;
    return J?.notebook?.kernel?.is_connected() === true && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
  }, { timeout: 180_000, polling: 250 }, withKernel);
  return { page, external, errors };
}

/** Cell > Run All, then wait until every code cell has run and the kernel is idle. */
async function runAll(page: Page, timeout: number): Promise<void> {
  await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
  await page.waitForFunction(() => {
    const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number?: unknown }[] } } }).Jupyter.notebook.get_cells();
    return cells.every((c) => c.cell_type !== 'code' || typeof c.input_prompt_number === 'number') && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
  }, { timeout, polling: 250 });
}

test('classic notebook: notebook 01 runs, its charts draw (plotly.js from the server), and saving leaves git clean', async () => {
  const { page, external, errors } = await open(`${base}/notebooks/notebooks/${NB}?token=${token}`);
  await runAll(page, 300_000);
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.maml-sine-plot')).every((el) => el.querySelector('.main-svg') || (el.textContent ?? '').includes('not drawn')), { timeout: 60_000 });
  const facts = await page.evaluate(() => ({
    charts: document.querySelectorAll('.maml-sine-plot').length,
    drawn: Array.from(document.querySelectorAll('.maml-sine-plot')).filter((el) => el.querySelectorAll('.main-svg .trace').length > 0).length,
    tables: document.querySelectorAll('table.maml-sine-table').length,
    stderr: document.querySelectorAll('.output_stderr, .output_error').length,
  }));
  await page.screenshot({ path: path.join(shots, 'classic-01.png') as `${string}.png`, fullPage: true });
  await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { save_notebook(): Promise<unknown> } } }).Jupyter.notebook.save_notebook());
  const onDisk = JSON.parse(fs.readFileSync(path.join(root, 'notebooks', NB), 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  const plotOutputs = onDisk.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.['application/vnd.plotly.v1+json'] !== undefined);
  // What git sees: nothing modified, nothing new (clean filter + the save hook classic.sh passes)
  const gitOut = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout;
  const gitDiff = gitOut(['diff', '--', 'notebooks']).slice(0, 3000);
  const status = gitOut(['status', '--porcelain', '--untracked-files=all', '--', 'notebooks']) + gitOut(['diff', '--stat', '--', 'notebooks']);
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(external, [], 'plotly.js came from the server, nothing from elsewhere');
  assert.equal(facts.stderr, 0, 'no error output');
  assert.ok(facts.charts >= 1 && facts.drawn === facts.charts, `${facts.drawn} of ${facts.charts} charts drawn`);
  assert.ok(facts.tables >= 1, 'a table');
  assert.equal(plotOutputs.length, facts.charts, 'saved with its outputs on disk');
  assert.equal(status, '', `git sees no change after saving:\n${gitDiff}`);

  // someone else's executed notebook: not signed for this user, so the classic notebook runs no scripts
  const nb = JSON.parse(fs.readFileSync(path.join(root, 'notebooks', NB), 'utf8'));
  nb.metadata.copied_for_the_untrusted_check = true;
  fs.mkdirSync(scratch, { recursive: true });
  fs.writeFileSync(copy, JSON.stringify(nb, null, 1));
  // (its outputs are what is checked: no kernel needed, and the first one is shut down)
  for (const session of (await (await fetch(`${base}/api/sessions?token=${token}`)).json()) as { id: string }[]) {
    await fetch(`${base}/api/sessions/${session.id}?token=${token}`, { method: 'DELETE' });
  }
  const untrusted = await open(`${base}/notebooks/reports/untrusted-check/${path.basename(copy)}?token=${token}`, false);
  const seen = await untrusted.page.evaluate(() => ({
    drawn: document.querySelectorAll('.main-svg').length,
    notes: (document.body.innerText.match(/is not drawn here/g) ?? []).length,
    trustHint: document.body.innerText.includes('Trust Notebook'),
  }));
  await untrusted.page.screenshot({ path: path.join(shots, 'classic-01-untrusted.png') as `${string}.png`, fullPage: true });
  await untrusted.page.close();
  assert.deepEqual(seen, { drawn: 0, notes: facts.charts, trustHint: true }, 'each undrawn chart says how to trust the notebook');
});

test('classic notebook: notebook 11\'s playground starts and redraws ("New task", the step slider)', async () => {
  const NB11 = '11-try-it-yourself.ipynb';
  const before11 = fs.readFileSync(path.join(root, 'notebooks', NB11));
  try {
    const { page, external, errors } = await open(`${base}/notebooks/notebooks/${NB11}?token=${token}`);
    await runAll(page, 600_000);
    const state = () => page.evaluate(() => (window as unknown as { mamlPlayground?: { state(): string } }).mamlPlayground?.state() ?? 'null')
      .then((j) => JSON.parse(j) as { task: unknown; steps: number; models: { key: string; testMse: number | null; diverged: boolean | null }[] } | null);
    const started = await page.waitForFunction(() => (window as unknown as { mamlPlayground?: { state(): string } }).mamlPlayground?.state() !== 'null' &&
      document.querySelector('.maml-sine-playground .main-svg') !== null, { timeout: 90_000, polling: 250 }).then(() => true, () => false);
    assert.ok(started, 'the playground started (its script ran, plotly.js from the server)');
    const first = (await state())!;
    const buttons = await page.$$('.maml-sine-playground button');
    const labels = await Promise.all(buttons.map((b) => b.evaluate((el) => el.textContent)));
    await buttons[labels.indexOf('New task')].click();
    const slider = (await page.$('.maml-sine-playground input[type=range]'))!;
    await slider.focus();
    await page.keyboard.press('ArrowRight'); // one more SGD step, from the keyboard
    await page.waitForFunction((n) => JSON.parse((window as unknown as { mamlPlayground: { state(): string } }).mamlPlayground.state()).steps === n, { timeout: 30_000 }, first.steps + 1);
    await new Promise((r) => setTimeout(r, 500));
    const second = (await state())!;
    await (await page.$('.maml-sine-playground'))!.screenshot({ path: path.join(shots, 'classic-11-playground.png') as `${string}.png` });
    await page.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(external, [], 'nothing asked off 127.0.0.1');
    assert.notDeepEqual(second.task, first.task, '"New task" drew a new task');
    second.models.forEach((m, i) => assert.ok(m.diverged === true || (typeof m.testMse === 'number' && m.testMse !== first.models[i].testMse), `${m.key}: MSE redrawn`));
  } finally {
    fs.writeFileSync(path.join(root, 'notebooks', NB11), before11); // in case the notebook autosaved
    spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'jupyter', 'maml_sine_save_hook.py'), path.join(root, 'notebooks', NB11)]);
  }
});
