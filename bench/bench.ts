/**
 * npm run bench [-- --quick] [-- --runs 5] [-- --no-recipe] [-- --no-pytorch]
 *
 * Prints, for MAML, first-order MAML and transfer: ms per task of each path the library has
 * (the fast float64 engine and the tfjs autodiff path), the PyTorch original run in the same
 * invocation (../shared/reference, when /usr/bin/python3 has torch), the ratio to the
 * arithmetic bound, the full recipe's wall time, peak RSS and the tfjs tensor count.
 * Every figure is the median of several runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { evaluateParallel, heldOutTasks, initBackend, pairedDifference, projectRoot, train, trainParallel, AlgoName, EngineName } from '../lib/index';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 1 : 5;
const ALGOS: AlgoName[] = ['maml', 'fomaml', 'transfer', 'reptile', 'metasgd'];
/**
 * Arithmetic bound per task (../shared/notes/speed.md): dense FLOPs of one meta-update of the
 * 1-40-40-1 MLP with K = 10 support and 10 query points (431 / 229 / 124 kFLOP) at ~3 GFLOP/s.
 */
const BOUND_MS: Partial<Record<AlgoName, number>> = { maml: 0.14, fomaml: 0.08, transfer: 0.04 };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function msPerTask(algo: AlgoName, engine: EngineName, tasks: number): number {
  return median(Array.from({ length: RUNS }, (_, i) => train({ algo, engine, tasks, epochs: 1, seed: i }).msPerTask));
}

/** The PyTorch original (seed_ref.py, one thread), median ms/task of RUNS runs, or null. */
function pytorchMsPerTask(algo: AlgoName, tasks: number): number | null {
  const ref = path.join(projectRoot(__dirname), '..', 'shared', 'reference', 'seed_ref.py');
  if (!fs.existsSync(ref) || spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) return null;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync('/usr/bin/python3', [ref, '--algo', algo, '--tasks', String(tasks), '--seed', String(i), '--threads', '1'], { cwd: path.dirname(ref), encoding: 'utf8' });
    const m = /ms_per_task=([\d.]+)/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`PyTorch reference failed: ${r.stderr.slice(-500)}`);
    times.push(Number(m[1]));
  }
  return median(times);
}

const fmt = (v: number | null, digits = 3) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

async function main() {
  const backend = await initBackend(() => {});
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`maml-sine benchmark: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, tfjs ${tf.version.tfjs} (${backend} backend for autodiff)`);
  console.log(`each figure: median of ${RUNS} run(s); one task = one meta-update of one 1-40-40-1 model (K = 10 support, 10 query points)\n`);

  train({ algo: 'maml', tasks: quick ? 200 : 2000, epochs: 1 }); // JIT warm-up
  const fastTasks = quick ? 500 : 5000;
  const autodiffTasks = quick ? 30 : 300;
  const torchTasks = quick ? 200 : 2000;
  const withTorch = !args.includes('--no-pytorch') && !quick;
  console.log(`| algorithm | fast engine ms/task | autodiff (${backend}) ms/task | PyTorch original ms/task | PyTorch / fast | autodiff / fast | fast / arithmetic bound |`);
  console.log('|---|---|---|---|---|---|---|');
  const fastMs: Record<string, number> = {};
  for (const algo of ALGOS) {
    const fast = msPerTask(algo, 'fast', fastTasks);
    const autodiff = msPerTask(algo, 'autodiff', autodiffTasks);
    const torch = withTorch && ['maml', 'fomaml', 'transfer'].includes(algo) ? pytorchMsPerTask(algo, torchTasks) : null;
    fastMs[algo] = fast;
    console.log(`| ${algo} | ${fmt(fast)} | ${fmt(autodiff)} | ${fmt(torch)} | ${torch === null ? 'n/a' : fmt(torch / fast, 1) + 'x'} | ${fmt(autodiff / fast, 1)}x | ${BOUND_MS[algo] ? `${fmt(fast / BOUND_MS[algo]!, 2)} (bound ${BOUND_MS[algo]} ms)` : 'n/a'} |`);
  }
  if (!withTorch) console.log(quick ? '\n(PyTorch column skipped in --quick)' : '\n(PyTorch column: /usr/bin/python3 with torch, or ../shared/reference, not found)');

  if (!args.includes('--no-recipe')) {
    const tasks = quick ? 1000 : 10_000;
    const recipeRuns = quick ? 1 : Math.min(RUNS, 3);
    const walls: number[] = [];
    for (let i = 0; i < recipeRuns; i++) {
      const start = performance.now();
      train({ algo: 'maml', replicas: 5, epochs: 4, tasks });
      train({ algo: 'fomaml', replicas: 5, epochs: 4, tasks });
      train({ algo: 'transfer', replicas: 1, epochs: 1, tasks });
      walls.push((performance.now() - start) / 1000);
    }
    const parallelWalls: number[] = [];
    for (let i = 0; i < recipeRuns; i++) {
      const start = performance.now();
      await trainParallel({ algo: 'maml', replicas: 5, epochs: 4, tasks });
      await trainParallel({ algo: 'fomaml', replicas: 5, epochs: 4, tasks });
      train({ algo: 'transfer', replicas: 1, epochs: 1, tasks });
      parallelWalls.push((performance.now() - start) / 1000);
    }
    console.log(`\nfull recipe${quick ? ' (quick: 1,000-task pool)' : ''}: 5 models x 4 epochs x ${tasks} tasks of MAML, the same of first-order MAML, transfer over ${tasks} tasks, fast engine`);
    console.log(`| cores used | runs | wall time, median | min | max | target |`);
    console.log('|---|---|---|---|---|---|');
    console.log(`| 1 | ${recipeRuns} | ${median(walls).toFixed(1)} s | ${Math.min(...walls).toFixed(1)} s | ${Math.max(...walls).toFixed(1)} s | <= 90 s |`);
    console.log(`| ${Math.min(os.cpus().length, 4)} (worker threads) | ${recipeRuns} | ${median(parallelWalls).toFixed(1)} s | ${Math.min(...parallelWalls).toFixed(1)} s | ${Math.max(...parallelWalls).toFixed(1)} s | <= 90 s |`);
  }

  if (!quick && !args.includes('--no-agreement')) {
    // The fast path must not change results: train the same config with both engines and
    // compare the post-adaptation test MSE on the same held-out tasks, paired per task.
    const config = { algo: 'maml' as const, replicas: 1, epochs: 1, tasks: 10_000, seed: 0 };
    const tasks = heldOutTasks(1000);
    const fast = train({ ...config, engine: 'fast' });
    const viaAutodiff = train({ ...config, engine: 'autodiff' });
    const a = await evaluateParallel(fast.replicas, fast.layout, tasks, { steps: 10 });
    const b = await evaluateParallel(viaAutodiff.replicas, viaAutodiff.layout, tasks, { steps: 10 });
    const d = pairedDifference(a, b);
    console.log(`\nengine agreement: MAML, 1 model x 1 epoch x 10,000 tasks trained by each engine (same seed), 1,000 held-out tasks`);
    console.log('| k | fast engine | tfjs autodiff | fast - autodiff (paired) | inside the 95% CI of each |');
    console.log('|---|---|---|---|---|');
    for (const k of [0, 1, 5, 10]) {
      const [x, y] = [a.summary[k], b.summary[k]];
      const inside = Math.abs(x.mean - y.mean) <= Math.min(x.ci95, y.ci95);
      console.log(`| ${k} | ${x.mean.toFixed(3)} ± ${x.ci95.toFixed(3)} | ${y.mean.toFixed(3)} ± ${y.ci95.toFixed(3)} | ${d[k].mean >= 0 ? '+' : ''}${d[k].mean.toFixed(4)} ± ${d[k].ci95.toFixed(4)} | ${inside ? 'yes' : 'no'} |`);
    }
  }
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`\npeak RSS of this process: ${rssMb.toFixed(0)} MB (target <= 400 MB); tfjs tensors allocated at the end: ${tf.memory().numTensors}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
