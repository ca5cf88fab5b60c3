/**
 * `npm run mutate [-- MODULE ...]`: mutation testing with StrykerJS, one Stryker run per module
 * (so each run is short and can be scheduled on a shared machine), then one table of scores.
 *
 * Each run's JSON report is kept as reports/mutation/<module>.json; the table is built from all
 * kept reports, so modules can be re-run one at a time. `npm run mutate -- --summary` only
 * prints the table. Score = killed (incl. timeouts) / (all mutants − ignored − equivalent);
 * equivalent mutants are listed in test/mutation-equivalent.json (id-free: file, line, the
 * mutator and the replacement) with the reason each one cannot be killed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'reports', 'mutation');
const MODULES: Record<string, string[]> = {
  evaluate: ['lib/evaluate.ts'],
  train: ['lib/train.ts'],
  adam: ['lib/adam.ts'],
  fastMlp: ['lib/fastMlp.ts'],
  algorithms: ['lib/algorithms/*.ts'],
  cli: ['lib/cli.ts'],
  progress: ['lib/progress.ts'],
};

interface Mutant { id: string; mutatorName: string; replacement?: string; status: string; location: { start: { line: number; column: number } } }
interface Report { files: Record<string, { mutants: Mutant[] }> }
interface Equivalent { file: string; line: number; mutator: string; replacement: string; reason: string }

function equivalents(): Equivalent[] {
  const file = path.join(root, 'test', 'mutation-equivalent.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
}

function isEquivalent(file: string, m: Mutant, list: Equivalent[]): boolean {
  return list.some((e) => e.file === file && e.line === m.location.start.line && e.mutator === m.mutatorName && e.replacement === (m.replacement ?? ''));
}

function runModule(name: string): void {
  const globs = MODULES[name];
  if (!globs) throw new Error(`unknown module ${name}: expected one of ${Object.keys(MODULES).join(', ')}`);
  const bin = path.join(root, 'node_modules', '.bin', 'stryker');
  const r = spawnSync(bin, ['run', '--mutate', globs.join(','), ...extra], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`stryker run for ${name} exited with ${r.status}`);
  fs.copyFileSync(path.join(outDir, 'mutation.json'), path.join(outDir, `${name}.json`));
}

function summary(): void {
  const list = equivalents();
  const rows: string[][] = [];
  const total = { killed: 0, survived: 0, noCoverage: 0, equivalent: 0, planted: 0 };
  for (const name of Object.keys(MODULES)) {
    const file = path.join(outDir, `${name}.json`);
    if (!fs.existsSync(file)) {
      rows.push([name, 'not run']);
      continue;
    }
    const report: Report = JSON.parse(fs.readFileSync(file, 'utf8'));
    const c = { killed: 0, survived: 0, noCoverage: 0, equivalent: 0, planted: 0 };
    for (const [f, { mutants }] of Object.entries(report.files)) {
      for (const m of mutants) {
        if (m.status === 'Ignored' || m.status === 'CompileError') continue;
        c.planted++;
        if (m.status === 'Killed' || m.status === 'Timeout') c.killed++;
        else if (isEquivalent(f, m, list)) c.equivalent++;
        else if (m.status === 'NoCoverage') c.noCoverage++;
        else c.survived++;
      }
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
    const score = (100 * c.killed) / (c.planted - c.equivalent);
    rows.push([name, String(c.planted), String(c.killed), String(c.survived), String(c.noCoverage), String(c.equivalent), `${score.toFixed(1)}%`]);
  }
  const overall = (100 * total.killed) / (total.planted - total.equivalent);
  rows.push(['all', String(total.planted), String(total.killed), String(total.survived), String(total.noCoverage), String(total.equivalent), `${overall.toFixed(1)}%`]);
  console.log('| module | planted | killed | survived | no coverage | equivalent | score |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

const args = process.argv.slice(2);
const extra = args.filter((a) => a.startsWith('--') && a !== '--summary');
const names = args.filter((a) => !a.startsWith('--'));
if (!args.includes('--summary')) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of names.length > 0 ? names : Object.keys(MODULES)) runModule(name);
}
summary();
