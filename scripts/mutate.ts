/**
 * `npm run mutate [-- MODULE ... [-- STRYKER_ARGS ...]]`: mutation testing with StrykerJS, one
 * Stryker run per module (so each run is short and can be scheduled on a shared machine), then
 * one table of scores.
 *
 * Each run's JSON report is kept as reports/mutation/<module>.json; the table is built from all
 * kept reports, so modules can be re-run one at a time. `npm run mutate -- --summary` only
 * prints the table; `--survivors` also lists every mutant that lived and is not known to be
 * equivalent. Arguments after a second `--` (or of the form `--name=value`) go to Stryker, e.g.
 * `npm run mutate -- adam -- --concurrency 2`.
 *
 * Score = killed (incl. timeouts) / (planted − equivalent), where planted excludes mutants
 * Stryker ignored or that did not compile. Equivalent mutants are listed in
 * test/mutation-equivalent.json keyed by what survives moving code around: the module name
 * below, the mutator, the original source text of the mutated span and its replacement
 * (whitespace-insensitive), optionally a longer piece of the surrounding line(s) to tell apart
 * equal spans, each with the reason it cannot be killed. No file path or line
 * number: the library's files may move between folders without the list going stale. An entry
 * that matches no mutant any more is reported, so a stale one is noticed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'reports', 'mutation');
const equivalentsFile = path.join(root, 'test', 'mutation-equivalent.json');

/**
 * The modules measured: `mutate` is a list of globs relative to the repository (`**` = any
 * folders, `*` = any name part), the one place to change when library files move or split (the
 * globs already allow a file to move into a subfolder of lib/). `tests`, when given, replaces
 * the test file list of stryker.config.json for that module: the files that check it, so that a
 * mutant that lives does not re-run every unit test file (which makes a run of a few hundred
 * mutants take an hour on this machine).
 */
const MODULES: Record<string, { mutate: string[]; tests?: string[] }> = {
  evaluate: { mutate: ['lib/**/evaluate.ts'] },
  train: { mutate: ['lib/**/train.ts'], tests: ['test/train-loop.test.ts', 'test/engine-choice.test.ts', 'test/replay.test.ts', 'test/train-config.test.ts', 'test/validation.test.ts', 'test/cli-values.test.ts', 'test/golden.test.ts'] },
  adam: { mutate: ['lib/**/adam.ts'], tests: ['test/adam.test.ts', 'test/replay.test.ts', 'test/wasm-resident.test.ts', 'test/golden.test.ts'] },
  fastMlp: { mutate: ['lib/**/fastMlp.ts'], tests: ['test/fast-engine.test.ts'] },
  // the wasm files last: they are the only ones that reach the wasm factories (both precisions), and the slowest
  algorithms: { mutate: ['lib/**/algorithms/*.ts'], tests: ['test/fast-engine.test.ts', 'test/golden.test.ts', 'test/replay.test.ts', 'test/wasm-resident.test.ts', 'test/wasm-f32.test.ts', 'test/wasm-engine.test.ts'] },
  // cli.test.ts is left out: child processes, real disks, about a minute a run; its in-process
  // parser cases live in cli-parse.test.ts (3 s)
  cli: { mutate: ['lib/**/cli.ts'], tests: ['test/cli-parse.test.ts', 'test/cli-values.test.ts', 'test/train-config.test.ts'] },
  progress: { mutate: ['lib/**/progress.ts'], tests: ['test/progress.test.ts', 'test/cli-values.test.ts'] },
};

interface Position { line: number; column: number }
interface Mutant { id: string; mutatorName: string; replacement?: string; status: string; location: { start: Position; end: Position } }
interface Report { files: Record<string, { source: string; mutants: Mutant[] }> }
/**
 * `context`, when given, must occur in the source around the mutated span (its lines and
 * CONTEXT_LINES either side, whitespace-insensitive): it tells apart two spans with the same text.
 */
interface Equivalent { module: string; mutator: string; original: string; replacement: string; context?: string; reason: string }

/** A glob as a regular expression over `/`-separated relative paths. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (glob.startsWith('**/', i)) {
      re += '(?:[^/]+/)*';
      i += 2;
    } else if (ch === '*') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function filesMatching(globs: string[]): string[] {
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else all.push(rel);
    }
  };
  walk('lib');
  const res = globs.map(globRegExp);
  return all.filter((f) => res.some((r) => r.test(f))).sort();
}

function equivalents(): Equivalent[] {
  return fs.existsSync(equivalentsFile) ? JSON.parse(fs.readFileSync(equivalentsFile, 'utf8')) : [];
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The original source text of a mutant's span (Stryker's lines and columns count from 1). */
function originalText(source: string, m: Mutant): string {
  const lines = source.split('\n');
  const offset = (p: Position): number => lines.slice(0, p.line - 1).reduce((a, l) => a + l.length + 1, 0) + p.column - 1;
  return source.slice(offset(m.location.start), offset(m.location.end));
}

const CONTEXT_LINES = 3;

function matchEquivalent(moduleName: string, source: string, m: Mutant, list: Equivalent[]): Equivalent | undefined {
  const original = squash(originalText(source, m));
  const lines = source.split('\n');
  const around = (extra: number) => squash(lines.slice(Math.max(0, m.location.start.line - 1 - extra), m.location.end.line + extra).join('\n'));
  const candidates = list.filter(
    (e) => e.module === moduleName && e.mutator === m.mutatorName && squash(e.original) === original && squash(e.replacement) === squash(m.replacement ?? ''),
  );
  // an entry whose context is on the mutated line(s) themselves wins over one found nearby
  const own = around(0);
  const near = around(CONTEXT_LINES);
  return candidates.find((e) => e.context === undefined || own.includes(squash(e.context))) ?? candidates.find((e) => e.context !== undefined && near.includes(squash(e.context)));
}

function runModule(name: string, strykerArgs: string[]): void {
  const mod = MODULES[name];
  const globs = mod.mutate;
  if (filesMatching(globs).length === 0) throw new Error(`module ${name}: no file matches ${globs.join(', ')} (update MODULES in scripts/mutate.ts)`);
  // the base config, with this module's test files if it names them (Stryker reads a config
  // file given on its command line; relative paths in it are relative to the working directory)
  const config = JSON.parse(fs.readFileSync(path.join(root, 'stryker.config.json'), 'utf8'));
  delete config.$schema;
  if (mod.tests) config.tap.testFiles = mod.tests;
  const configFile = path.join(outDir, `${name}.stryker.json`);
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const bin = path.join(root, 'node_modules', '.bin', 'stryker');
  const started = Date.now();
  const r = spawnSync(bin, ['run', configFile, '--mutate', globs.join(','), ...strykerArgs], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`stryker run for ${name} exited with ${r.status}`);
  const report = JSON.parse(fs.readFileSync(path.join(outDir, 'mutation.json'), 'utf8'));
  report.mamlSine = { module: name, globs, testFiles: config.tap.testFiles, wallSeconds: Math.round((Date.now() - started) / 1000), date: new Date().toISOString(), strykerArgs };
  const tmp = path.join(outDir, `${name}.json.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(report));
  fs.renameSync(tmp, path.join(outDir, `${name}.json`));
}

function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '';
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

function summary(listSurvivors: boolean): void {
  const list = equivalents();
  const used = new Set<Equivalent>();
  const rows: string[][] = [];
  const survivors: string[] = [];
  const measured = new Set<string>();
  const total = { planted: 0, killed: 0, survived: 0, noCoverage: 0, equivalent: 0 };
  for (const name of Object.keys(MODULES)) {
    const file = path.join(outDir, `${name}.json`);
    if (!fs.existsSync(file)) {
      rows.push([name, 'not run', '', '', '', '', '', '']);
      continue;
    }
    measured.add(name);
    const report: Report & { mamlSine?: { wallSeconds: number } } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const c = { planted: 0, killed: 0, survived: 0, noCoverage: 0, equivalent: 0 };
    for (const [f, { source, mutants }] of Object.entries(report.files)) {
      for (const m of mutants) {
        if (m.status === 'Ignored' || m.status === 'CompileError') continue;
        c.planted++;
        if (m.status === 'Killed' || m.status === 'Timeout') {
          c.killed++;
          continue;
        }
        const eq = matchEquivalent(name, source, m, list);
        if (eq) {
          used.add(eq);
          c.equivalent++;
          continue;
        }
        if (m.status === 'NoCoverage') c.noCoverage++;
        else c.survived++;
        survivors.push(`${name} ${f}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${JSON.stringify(squash(originalText(source, m)))} -> ${JSON.stringify(squash(m.replacement ?? ''))}`);
      }
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
    const score = (100 * c.killed) / (c.planted - c.equivalent);
    rows.push([name, String(c.planted), String(c.killed), String(c.survived), String(c.noCoverage), String(c.equivalent), `${score.toFixed(1)}%`, formatSeconds(report.mamlSine?.wallSeconds)]);
  }
  const overall = (100 * total.killed) / (total.planted - total.equivalent);
  rows.push(['**all measured**', String(total.planted), String(total.killed), String(total.survived), String(total.noCoverage), String(total.equivalent), `**${overall.toFixed(1)}%**`, '']);
  console.log('| module | planted | killed | survived | no coverage | equivalent | score | run time |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const stale = list.filter((e) => measured.has(e.module) && !used.has(e));
  for (const e of stale) console.log(`note: equivalent entry matches no surviving mutant (stale?): ${e.module} ${e.mutator} ${JSON.stringify(e.original)} -> ${JSON.stringify(e.replacement)}`);
  if (listSurvivors) {
    console.log(`\n${survivors.length} surviving mutants not listed as equivalent:`);
    for (const s of survivors) console.log(s);
  }
}

/** Bad input: one line naming the value and what was expected, exit 2, before any run starts. */
function usageError(message: string): never {
  process.stderr.write(`mutate: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const split = args.indexOf('--');
const own = split >= 0 ? args.slice(0, split) : args;
const strykerArgs = [...(split >= 0 ? args.slice(split + 1) : []), ...own.filter((a) => a.startsWith('--') && a.includes('='))];
const flags = new Set(own.filter((a) => a.startsWith('--') && !a.includes('=')));
for (const f of flags) {
  if (f !== '--summary' && f !== '--survivors') usageError(`unknown option ${f}: expected --summary, --survivors, --name=value (passed to Stryker) or Stryker options after a second --`);
}
const names = own.filter((a) => !a.startsWith('--'));
for (const name of names) if (!(name in MODULES)) usageError(`unknown module ${JSON.stringify(name)}: expected one of ${Object.keys(MODULES).join(', ')}`);
if (!flags.has('--summary')) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of names.length > 0 ? names : Object.keys(MODULES)) runModule(name, strykerArgs);
}
summary(flags.has('--survivors'));
