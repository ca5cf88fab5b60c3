/**
 * npm run bench [-- --quick] [-- --runs 5] [-- --no-recipe] [-- --no-pytorch] [-- --only-agreement]
 *                [-- --no-eval-precision] [-- --only-eval-precision]
 *
 * Prints, for every algorithm: ms per task of each engine the library has (the fast float64
 * engine in TypeScript, the wasm engine, its float32 twin wasm-f32, the tfjs autodiff path), the project's PyTorch reference
 * (reference/run.py timing: the original's own code and the textbook code, one thread) run in
 * the same invocation when a python with torch is found (reference/python.sh; it says so
 * plainly when there is none), the ratio to the arithmetic bound, each engine's dense-equivalent
 * GFLOP/s as a fraction of this core's peak (measured here by tight WebAssembly SIMD matrix
 * products in float64 and float32), the full recipe's wall time, peak RSS and the tfjs tensor
 * count, and whether the engines change results (paired on 1,000 held-out tasks, with a
 * control for what a float32-sized nudge alone does; this part alone with --only-agreement),
 * and what evaluating in float32 (the default) changes against float64: time and test MSEs of
 * the recipe's trained models (--no-eval-precision leaves it out).
 * Every figure is the median of several runs.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/tfjs/autodiff';
import { evaluate, evaluateParallel, heldOutTasks, pairedDifference, projectRoot, recipe, resolveTrainConfig, train, trainParallel, ALGORITHMS, AlgoName, EngineName, EvalEngine, EvalResult, RunState, SCALES, TrainConfigInput, TrainingInterrupted, TrainResult } from '../lib/index';
import { matmulGflops } from '../lib/model/wasmMlp';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** only the engine-agreement tables (several minutes: each engine trains 10,000 MAML tasks) */
const onlyAgreement = args.includes('--only-agreement');
/** only the evaluation-precision table (~40 s, of which training the recipe's MAML and transfer ~10 s on 2 cores) */
const onlyEvalPrecision = args.includes('--only-eval-precision');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 1 : 5;
const ALGOS: readonly AlgoName[] = ALGORITHMS;
/**
 * Arithmetic bound per task: the dense FLOPs of one meta-update of the 1-40-40-1 MLP with
 * K = 10 support and 10 query points (MAML: support gradient, Hessian-vector product, query
 * gradient, Adam, ~431 kFLOP; first order ~229 kFLOP; transfer ~124 kFLOP) at the ~3 GFLOP/s
 * one core of this machine sustains on such small matrix products.
 */
const BOUND_MS: Partial<Record<AlgoName, number>> = { maml: 0.14, fomaml: 0.08, transfer: 0.04 };
/**
 * Dense-equivalent FLOPs of one task, counted the same way (a lossAndGrad on 10 points ~101
 * kFLOP, a forward pass ~34 kFLOP, a Hessian-vector product ~202 kFLOP, Adam ~18 kFLOP per 1,761
 * meta-parameters): MAML 431k, first order 229k, transfer 124k; Reptile (3 inner steps and the
 * query loss) ~355k; Meta-SGD (MAML's, plus the rates' gradient and Adam over 3,522) ~460k.
 * An engine that skips the units the ReLUs switch off does fewer, so its rate is "dense-equivalent".
 */
const DENSE_FLOP: Record<AlgoName, number> = { maml: 431e3, fomaml: 229e3, transfer: 124e3, reptile: 355e3, metasgd: 460e3 };
/** The engines timed per task, in the table's order. */
const TIMED_ENGINES: readonly EngineName[] = ['fast', 'wasm', 'wasm-f32', 'autodiff'];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Median ms per task of each engine on one algorithm, the engines' runs interleaved (run i of
 * every engine, then run i + 1): on a shared machine a slow spell then hits all engines alike,
 * not the one that happened to be running, so their ratios hold better.
 */
function msPerTask(algo: AlgoName, tasksOf: (engine: EngineName) => number): Record<EngineName, number> {
  const times = TIMED_ENGINES.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) TIMED_ENGINES.forEach((engine, e) => times[e].push(train({ algo, engine, tasks: tasksOf(engine), epochs: 1, seed: i }).msPerTask));
  return Object.fromEntries(TIMED_ENGINES.map((engine, e) => [engine, median(times[e])])) as Record<EngineName, number>;
}

interface TorchTiming { code: 'original' | 'textbook'; algo: string; msPerTask: number }

/**
 * The project's PyTorch reference (reference/run.py timing, one thread): median ms/task of
 * `runs` runs of `tasks` tasks, for the original's code and the textbook code; or the reason
 * why it cannot run (no python with torch).
 */
function pytorchTimings(tasks: number, runs: number): TorchTiming[] | string {
  const script = path.join(projectRoot(__dirname), 'reference', 'python.sh');
  const which = spawnSync('bash', [script, '--which'], { encoding: 'utf8' });
  if (which.status !== 0) return which.stderr.trim() || `reference/python.sh exited ${which.status}`;
  const r = spawnSync('bash', [script, 'timing', '--runs', String(runs), '--tasks', String(tasks), '--print'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch reference failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
  console.log(`PyTorch reference: ${which.stdout.trim()}, ${/torch [^)]+/.exec(r.stderr)?.[0] ?? 'torch'}, one thread, ${runs} run(s) of ${tasks} tasks per figure`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming[];
}

const fmt = (v: number | null, digits = 3) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

async function main() {
  const backend = await initBackend(() => {});
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`maml-sine benchmark: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, tfjs ${tf.version.tfjs} (${backend} backend for autodiff)`);
  console.log(`each figure: median of ${RUNS} run(s); one task = one meta-update of one 1-40-40-1 model (K = 10 support, 10 query points)\n`);

  if (!onlyAgreement && !onlyEvalPrecision) await timings(backend);
  if (!onlyAgreement && !args.includes('--no-eval-precision')) await evaluationPrecision();
  if (!quick && !onlyEvalPrecision && !args.includes('--no-agreement')) await agreement();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`\npeak RSS of this benchmark process (tfjs autodiff timings, evaluations): ${rssMb.toFixed(0)} MB; tfjs tensors allocated at the end: ${tf.memory().numTensors}`);
}

/** The per-task, fraction-of-peak and recipe tables. */
async function timings(backend: string) {
  train({ algo: 'maml', tasks: quick ? 200 : 2000, epochs: 1, engine: 'fast' }); // JIT warm-up
  train({ algo: 'maml', tasks: quick ? 200 : 2000, epochs: 1, engine: 'wasm' });
  train({ algo: 'maml', tasks: quick ? 200 : 2000, epochs: 1, engine: 'wasm-f32' });
  // the yardstick: this core's float64 and float32 rates on tight WebAssembly SIMD matrix products
  const [m, k, n] = [250, 40, 48];
  const peak64 = median(Array.from({ length: 3 }, () => matmulGflops('f64', m, k, n)));
  const peak32 = median(Array.from({ length: 3 }, () => matmulGflops('f32', m, k, n)));
  console.log(`peak of this core: ${peak64.toFixed(1)} GFLOP/s float64, ${peak32.toFixed(1)} GFLOP/s float32, measured here: a WebAssembly SIMD matrix product ` +
    `[${m}x${k}]·[${k}x${n}] (f64x2 / f32x4, blocks of 2 rows x 8 / 16 columns in registers, no FMA), best of 7 timings of 200 products, median of 3 such measurements`);
  const fastTasks = quick ? 500 : 5000;
  const autodiffTasks = quick ? 30 : 300;
  const torch = args.includes('--no-pytorch') ? '--no-pytorch given' : pytorchTimings(quick ? 200 : 2000, RUNS);
  if (typeof torch === 'string') console.log(`PyTorch columns: not measured: ${torch}`);
  const torchMs = (code: TorchTiming['code'], algo: AlgoName) =>
    typeof torch === 'string' ? null : torch.find((t) => t.code === code && t.algo === algo)?.msPerTask ?? null;
  const perTask: Record<string, Record<EngineName, number>> = {};
  console.log(`| algorithm | fast engine ms/task | wasm engine ms/task | wasm-f32 engine ms/task | autodiff (${backend}) ms/task | PyTorch, original's code ms/task | PyTorch, textbook code ms/task | PyTorch original / wasm | PyTorch original / wasm-f32 | PyTorch original / fast | fast / wasm | fast / wasm-f32 | wasm / wasm-f32 | autodiff / fast | fast / arithmetic bound |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const algo of ALGOS) {
    const ms = msPerTask(algo, (engine) => (engine === 'autodiff' ? autodiffTasks : fastTasks));
    perTask[algo] = ms;
    const [orig, text] = [torchMs('original', algo), torchMs('textbook', algo)];
    const vs = (x: number | null, y: number) => (x === null ? 'n/a' : fmt(x / y, 1) + 'x');
    const f32 = ms['wasm-f32'];
    console.log(`| ${algo} | ${fmt(ms.fast)} | ${fmt(ms.wasm)} | ${fmt(f32)} | ${fmt(ms.autodiff)} | ${fmt(orig)} | ${fmt(text)} | ${vs(orig, ms.wasm)} | ${vs(orig, f32)} | ${vs(orig, ms.fast)} | ${fmt(ms.fast / ms.wasm, 1)}x | ${fmt(ms.fast / f32, 1)}x | ${fmt(ms.wasm / f32, 2)}x | ${fmt(ms.autodiff / ms.fast, 1)}x | ${BOUND_MS[algo] ? `${fmt(ms.fast / BOUND_MS[algo]!, 2)} (bound ${BOUND_MS[algo]} ms)` : 'n/a'} |`);
  }
  console.log(`\nfraction of peak: dense-equivalent GFLOP/s of each engine (FLOPs of a dense meta-update / its time) against the float64 (${peak64.toFixed(1)}) and float32 (${peak32.toFixed(1)} GFLOP/s) peaks above; wasm-f32 computes its meta-gradients in float32, so against the float32 peak only`);
  console.log(`| algorithm | dense kFLOP/task | ${TIMED_ENGINES.map((e) => `${e} GFLOP/s | ${e === 'wasm-f32' ? 'of f32 peak' : 'of f64 / f32 peak'}`).join(' | ')} |`);
  console.log(`|---|---|${TIMED_ENGINES.map(() => '---|---|').join('')}`);
  for (const algo of ALGOS) {
    const cells = TIMED_ENGINES.map((engine) => {
      const gflops = DENSE_FLOP[algo] / (perTask[algo][engine] / 1000) / 1e9;
      return engine === 'wasm-f32' ? `${fmt(gflops, 2)} | ${fmt(gflops / peak32, 2)}` : `${fmt(gflops, 2)} | ${fmt(gflops / peak64, 2)} / ${fmt(gflops / peak32, 2)}`;
    });
    console.log(`| ${algo} | ${(DENSE_FLOP[algo] / 1000).toFixed(0)} | ${cells.join(' | ')} |`);
  }
  if (typeof torch !== 'string') {
    const ratio = (code: TorchTiming['code']) => fmt(torchMs(code, 'maml')! / torchMs(code, 'fomaml')!, 2);
    console.log(`\nPyTorch, second order / first order per task: original's code ${ratio('original')}x, textbook code ${ratio('textbook')}x`);
  }

  if (!args.includes('--no-recipe')) {
    // each run in a process of its own (bench/recipe.ts), so wall time and peak RSS are its alone
    const tasks = quick ? 1000 : 10_000;
    const recipeRuns = quick ? 1 : Math.min(RUNS, 3);
    const cores = Math.min(os.cpus().length, 4);
    for (const engine of ['wasm', 'wasm-f32', 'fast'] as const) {
      const rows: string[] = [];
      const medians: Record<number, number> = {};
      for (const workers of [1, cores]) {
        const runs = Array.from({ length: recipeRuns }, () => {
          const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'recipe.ts'), '--workers', String(workers), '--tasks', String(tasks), '--engine', engine], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`recipe run failed: ${r.stderr.slice(-500)}`);
          return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMb: number; numTensors: number };
        });
        const walls = runs.map((r) => r.seconds);
        medians[workers] = median(walls);
        rows.push(`| ${workers === 1 ? '1 (main thread)' : `${workers} (worker threads)`} | ${recipeRuns} | ${median(walls).toFixed(1)} s | ${Math.min(...walls).toFixed(1)} s | ${Math.max(...walls).toFixed(1)} s | ${Math.max(...runs.map((r) => r.maxRssMb)).toFixed(0)} MB | ${Math.max(...runs.map((r) => r.numTensors))} |`);
      }
      console.log(`\nfull recipe${quick ? ' (quick: 1,000-task pool)' : ''}: 5 models x 4 epochs x ${tasks} tasks of MAML, the same of first-order MAML, transfer over ${tasks} tasks, ${engine} engine (targets: <= 15 s on 2 cores, <= 400 MB)`);
      console.log('| cores used | runs | wall time, median | min | max | peak RSS | tfjs tensors at the end |');
      console.log('|---|---|---|---|---|---|---|');
      rows.forEach((r) => console.log(r));
      if (typeof torch !== 'string') {
        // the PyTorch original's recipe, from its per-task times measured above (one thread)
        const [m, f, t] = (['maml', 'fomaml', 'transfer'] as const).map((a) => torchMs('original', a)!);
        const torchRecipe = (5 * 4 * tasks * (m + f) + tasks * t) / 1000;
        console.log(`PyTorch original, same recipe, from its ms/task above x the recipe's task counts: ${torchRecipe.toFixed(0)} s on one core; ` +
          `speed-up of the ${engine} engine ${(torchRecipe / medians[1]).toFixed(1)}x on one core, ${(torchRecipe / medians[cores]).toFixed(1)}x with ${cores} cores`);
      }
    }
  }

}

/**
 * No engine may change results: train the same config with two engines and compare the
 * post-adaptation test MSE on the same held-out tasks, paired per task (evaluation: float64,
 * the wasm engine, for every model, so that only training differs). A last table is the control for wasm-f32: the fast
 * engine against itself with θ rounded to float32 once, after the first task, which shows how
 * far a float32-sized nudge alone carries a 10,000-task training.
 */
async function agreement() {
  const config = { algo: 'maml' as const, replicas: 1, epochs: 1, tasks: 10_000, seed: 0 };
  const tasks = heldOutTasks(1000);
  type Model = EngineName | 'fast-nudged';
  const names: Record<Model, string> = { fast: 'fast engine', wasm: 'wasm engine', 'wasm-f32': 'wasm-f32 engine', autodiff: 'tfjs autodiff', 'fast-nudged': 'fast engine, θ rounded to float32 once' };
  const trainModel = (model: Model) => (model === 'fast-nudged' ? nudgedFast(config) : train({ ...config, engine: model }));
  const trained: Partial<Record<Model, Awaited<ReturnType<typeof evaluateParallel>>>> = {};
  const evaluated = async (model: Model) => {
    if (trained[model] === undefined) {
      const result = trainModel(model);
      trained[model] = await evaluateParallel(result.replicas, result.layout, tasks, { steps: 10, engine: 'wasm' });
    }
    return trained[model]!;
  };
  const pairs: [Model, Model][] = [['fast', 'autodiff'], ['wasm', 'fast'], ['wasm-f32', 'fast'], ['fast-nudged', 'fast']];
  for (const [first, second] of pairs) {
    const a = await evaluated(first);
    const b = await evaluated(second);
    const d = pairedDifference(a, b);
    const what = first === 'fast-nudged' ? 'control: MAML, 1 model x 1 epoch x 10,000 tasks trained by the fast engine, once as is and once with θ rounded to float32 after the first task' : `engine agreement: MAML, 1 model x 1 epoch x 10,000 tasks trained by the ${names[first]} and the ${names[second]} (same seed)`;
    console.log(`\n${what}, 1,000 held-out tasks`);
    console.log(`| k | ${names[first]} | ${names[second]} | ${first} - ${second} (paired) | inside the 95% CI of each |`);
    console.log('|---|---|---|---|---|');
    for (const k of [0, 1, 5, 10]) {
      const [x, y] = [a.summary[k], b.summary[k]];
      const inside = Math.abs(x.mean - y.mean) <= Math.min(x.ci95, y.ci95);
      console.log(`| ${k} | ${x.mean.toFixed(3)} ± ${x.ci95.toFixed(3)} | ${y.mean.toFixed(3)} ± ${y.ci95.toFixed(3)} | ${d[k].mean >= 0 ? '+' : ''}${d[k].mean.toFixed(4)} ± ${d[k].ci95.toFixed(4)} | ${inside ? 'yes' : 'no'} |`);
    }
  }
}

/**
 * Evaluation in float32 (wasm-f32, the default) against float64 (wasm, and fast, the reference):
 * the recipe's MAML and transfer models, trained here on worker threads (the quick scale's with
 * --quick), 1,000 held-out tasks (200) x 10 SGD steps on the main thread. Timings alternate
 * engine by engine, run i of each before run i + 1; the fast engine runs once, as the reference
 * the test MSEs are compared with.
 */
async function evaluationPrecision() {
  const scale = quick ? SCALES.quick : SCALES.full;
  const tasks = heldOutTasks(scale.testTasks);
  const options = { steps: 10, lr: 0.01 };
  const models = (['maml', 'transfer'] as const).map((algo) => `${algo} ${resolveTrainConfig(recipe(algo, scale)).replicas}`).join(', ');
  console.log(`\nevaluation precision: the recipe's trained models (${scale.name} scale; models: ${models}), ${tasks.length} held-out tasks x ${options.steps} SGD steps (lr ${options.lr}), main thread; ms per task and model, median of ${RUNS} alternated run(s); test MSE mean over tasks; largest per-task |difference| / fast engine's MSE, over every step`);
  console.log('| model | engine | ms per task and model | wasm / this | k=0 | k=1 | k=10 | diverged at k=10 | largest per-task difference from fast |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const algo of ['maml', 'transfer'] as const) {
    const model = await trainParallel(recipe(algo, scale));
    const perModelTask = model.replicas.length * tasks.length;
    const reference = evaluate(model.replicas, model.layout, tasks, { ...options, engine: 'fast' });
    const engines: EvalEngine[] = ['wasm', 'wasm-f32'];
    const times = Object.fromEntries(engines.map((engine) => [engine, [] as number[]]));
    const results: Partial<Record<EvalEngine, EvalResult>> = { fast: reference };
    for (let run = 0; run < RUNS; run++) {
      for (const engine of engines) {
        const start = performance.now();
        results[engine] = evaluate(model.replicas, model.layout, tasks, { ...options, engine });
        times[engine].push((performance.now() - start) / perModelTask);
      }
    }
    for (const engine of [...engines, 'fast'] as const) {
      const r = results[engine]!;
      let largest = 0;
      r.perTask.forEach((values, i) => values.forEach((v, t) => {
        const ref = reference.perTask[i][t];
        if (Number.isFinite(ref)) largest = Math.max(largest, Math.abs(v - ref) / ref);
      }));
      const ms = engine === 'fast' ? 'n/a (reference, run once)' : median(times[engine]).toFixed(4);
      const ratio = engine === 'fast' ? 'n/a' : `${(median(times.wasm) / median(times[engine])).toFixed(2)}x`;
      console.log(`| ${algo} | ${engine} | ${ms} | ${ratio} | ${[0, 1, 10].map((k) => r.summary[k].mean.toFixed(7)).join(' | ')} | ${r.summary[10].diverged} | ${engine === 'fast' ? '0 (itself)' : largest.toExponential(1)} |`);
    }
  }
}

/** The fast engine's training of `config`, with θ rounded to float32 once after its first task (stopped there, nudged, resumed). */
function nudgedFast(config: TrainConfigInput): TrainResult {
  const input = { ...config, engine: 'fast' as const };
  const controller = new AbortController();
  let state: RunState | undefined;
  try {
    train(input, { progressEvery: 1, signal: controller.signal, onProgress: () => controller.abort() });
  } catch (err) {
    if (!(err instanceof TrainingInterrupted)) throw err;
    state = err.state;
  }
  const first = state?.replicas[0];
  if (first === undefined || first === null) throw new Error('nudgedFast: the run did not stop after its first task');
  first.theta = first.theta.map(Math.fround);
  return train(input, { resume: state });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
