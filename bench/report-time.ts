/**
 * npm run bench:report [-- --runs N]
 *
 * How long `npm run report` takes at full scale from an empty checkpoint folder (everything
 * trained, all notebooks, the MAML paper's full budget included): issue 11's "≤ 3 minutes on
 * this 2-core machine". Runs the report N times (default 3) one after another, each with a fresh
 * MAML_CHECKPOINTS and output folder (removed at the end, and on Ctrl-C, SIGTERM or SIGHUP, which
 * stop the report too), and prints a table:
 * wall time, CPU time of the report and everything it started (user + system, from the
 * kernel's accounting of waited-for children), and a probe of the machine's speed read just
 * before each run (µs to draw one paper-setting task on the main thread, median of 5 timings),
 * because this shared machine's speed moves by up to ~1.7x within an hour. Then the median
 * wall time against the target. Each run takes ~2.5 minutes here.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { summarize } from '../lib/evaluation/evaluate';
import { projectRoot } from '../lib/experiment/experiment';
import { Rng } from '../lib/tasks/rng';
import { PAPER_TASKS, sampleTaskInto } from '../lib/tasks/sineTask';

const TARGET_SECONDS = 180;
const root = projectRoot(__dirname);

class UsageError extends Error {}

function parseArgs(argv: string[]): { runs: number } {
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      const text = argv[++i] ?? '';
      if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`--runs ${JSON.stringify(text)}: expected a whole number of report runs, 1 or more`);
      runs = Number(text);
    } else throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}: expected --runs N`);
  }
  return { runs };
}

/** µs to draw one task of notebook 9's setting (10 support and 10 query points), median of 5. */
function probeMicroseconds(): number {
  const options = { ...PAPER_TASKS, supportSize: 10, querySize: 10, testSize: 100 };
  const rng = new Rng(1);
  const inputs = new Float64Array(10);
  const labels = new Float64Array(10);
  let sink = 0;
  const draw = (n: number) => {
    for (let i = 0; i < n; i++) {
      const task = sampleTaskInto(rng, options, inputs);
      task.labelInto(task.supportX, labels);
      task.labelInto(task.drawInputs(rng, inputs), labels);
      sink += labels[3];
    }
  };
  draw(100_000); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    draw(100_000);
    times.push(((performance.now() - t0) / 100_000) * 1000);
  }
  if (Number.isNaN(sink)) throw new Error('probe: NaN labels');
  return summarize(times).median;
}

/** CPU seconds (user + system) of this process's waited-for descendants, or null off Linux. */
function childrenCpuSeconds(): number | null {
  if (process.platform !== 'linux') return null;
  // /proc/self/stat: the fields after the command's closing parenthesis; cutime and cstime are the 16th and 17th fields
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return (Number(fields[13]) + Number(fields[14])) / ticks;
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
  return r.status === 0 ? `${r.stdout.trim()}${dirty ? ' (with uncommitted changes)' : ''}` : 'unknown';
}

/** The report running now: a stop signal is passed on to it, once. */
let current: ChildProcess | null = null;

/** One report run; resolves with its wall seconds and exit code. */
function runReport(out: string, checkpoints: string, log: string): Promise<{ seconds: number; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const logFd = fs.openSync(log, 'w');
    // a process group of its own, so that Ctrl-C reaches it only as this process passes it on
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'report.ts'), '--out', out], {
      cwd: root, stdio: ['ignore', logFd, logFd], detached: true,
      env: { ...process.env, MAML_SCALE: 'full', MAML_CHECKPOINTS: checkpoints },
    });
    current = child;
    fs.closeSync(logFd);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      current = null;
      resolve({ seconds: (performance.now() - t0) / 1000, code, signal });
    });
  });
}

async function main(): Promise<void> {
  const { runs } = parseArgs(process.argv.slice(2));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'maml-sine-report-time-'));
  let interrupted: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | null = null;
  // Ctrl-C, SIGTERM, SIGHUP: passed on to the report, which stops its notebooks; then this prints
  // the runs that finished, removes the scratch folder and exits 128 + the signal's number
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      interrupted ??= signal;
      current?.kill(signal); // a second one makes the report exit at once (its notebooks then stop by themselves)
    });
  }
  const cpu = os.cpus();
  console.log(`report time: npm run report, full scale, fresh checkpoints, ${runs} run(s); target: median <= ${TARGET_SECONDS} s`);
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${os.type()} ${os.release()}, ` +
    `node ${process.version}, commit ${gitCommit()}, ${new Date().toISOString()}`);
  console.log('run | wall s | CPU s | CPU / wall | probe µs');
  const rows: { wall: number; cpu: number | null; probe: number }[] = [];
  try {
    for (let i = 1; i <= runs && !interrupted; i++) {
      process.stderr.write(`run ${i} of ${runs}: the report from empty checkpoints (about 2.5 minutes on this 2-core machine)...\n`);
      const probe = probeMicroseconds();
      const cpu0 = childrenCpuSeconds();
      const log = path.join(scratch, `report-${i}.log`);
      const r = await runReport(path.join(scratch, `out-${i}`), fs.mkdtempSync(path.join(scratch, `checkpoints-${i}-`)), log);
      const cpu1 = childrenCpuSeconds();
      if (interrupted) break;
      if (r.code !== 0) {
        process.stderr.write(fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n'));
        throw new Error(`report run ${i} failed (exit ${r.code ?? r.signal}); its last lines are above`);
      }
      const row = { wall: r.seconds, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, probe };
      rows.push(row);
      console.log(`${i} | ${row.wall.toFixed(1)} | ${row.cpu?.toFixed(1) ?? 'n/a'} | ${row.cpu === null ? 'n/a' : (row.cpu / row.wall).toFixed(2)} | ${probe.toFixed(2)}`);
      fs.rmSync(path.join(scratch, `out-${i}`), { recursive: true, force: true });
    }
  } finally {
    // retried: a kernel may still be closing its files when the report it served has exited
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
  if (rows.length > 0) {
    const walls = rows.map((r) => r.wall);
    const m = summarize(walls).median;
    console.log(`median wall ${m.toFixed(1)} s (min ${Math.min(...walls).toFixed(1)}, max ${Math.max(...walls).toFixed(1)}) over ${rows.length} run(s); ` +
      `${walls.filter((w) => w <= TARGET_SECONDS).length} of ${rows.length} within ${TARGET_SECONDS} s; ` +
      `target (median <= ${TARGET_SECONDS} s): ${m <= TARGET_SECONDS ? 'met' : 'not met'}`);
  }
  if (interrupted !== null) {
    console.log(`interrupted (${interrupted}) after ${rows.length} complete run(s)`);
    process.exit(128 + os.constants.signals[interrupted]);
  }
}

main().catch((err) => {
  console.error(`bench:report: ${(err as Error).message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
