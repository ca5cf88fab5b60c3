/**
 * Training and evaluation on several cores with worker threads. Replicas are independent
 * (each has its own seed stream) and so are evaluation tasks, so the work splits without
 * changing a single number: the results equal train() / evaluate() bit for bit (tested).
 *
 * The calls are async, which also frees the notebook's main thread to send progress-bar
 * updates while the workers compute.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkEvaluation, EvalOptions, EvalResult, summarizeCurves } from './evaluate';
import { ParamLayout, paramLayout } from './params';
import { SineTask, SineTaskOptions } from './sineTask';
import { progressCounter, resolveTrainConfig, totalTasks, TrainConfig, TrainConfigInput, TrainResult, TrainOptions } from './train';
import { checkInt, DivergedError, MamlInputError } from './validate';

interface TaskSpec {
  amplitude: number;
  phase: number;
  supportX: number[];
  options: SineTaskOptions;
}

export type WorkerJob =
  | { kind: 'train'; config: TrainConfig; replicaIds: number[]; progressEvery: number; tasks?: TaskSpec[] }
  | { kind: 'curves'; models: Float64Array[]; layerSizes: number[]; tasks: TaskSpec[]; options: Required<EvalOptions> };

export type WorkerReply =
  | { kind: 'progress'; replica: number; tasks: number; lossSum: number }
  | { kind: 'replica'; replica: number; theta: Float64Array; history: number[] }
  | { kind: 'curves'; curves: Float64Array[] }
  | { kind: 'done' }
  | { kind: 'error'; name: string; message: string };

/** MAML_WORKERS, else one per core (at most 4). */
export function defaultWorkers(): number {
  const env = process.env.MAML_WORKERS;
  if (env !== undefined && env !== '') return checkInt('MAML_WORKERS', Number(env), 1, 64);
  return Math.max(1, Math.min(4, os.cpus().length));
}

function toSpec(task: SineTask): TaskSpec {
  return { amplitude: task.amplitude, phase: task.phase, supportX: Array.from(task.supportX), options: task.options };
}

/**
 * Start a worker on lib/worker.ts. Workers do not inherit a TypeScript loader (and the tslab
 * kernel has none), so the worker first registers tsx itself.
 */
function startWorker(job: WorkerJob, onReply: (reply: WorkerReply) => void): Promise<void> {
  const tsx = require.resolve('tsx/cjs/api');
  const file = path.join(__dirname, 'worker.ts');
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: job });
    let failed = false;
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'error') {
        failed = true;
        const Err = reply.name === 'DivergedError' ? DivergedError : reply.name === 'MamlInputError' ? MamlInputError : Error;
        reject(new Err(reply.message));
        void worker.terminate();
      } else if (reply.kind === 'done') {
        resolve();
      } else {
        onReply(reply);
      }
    });
    worker.on('error', (err) => {
      failed = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!failed && code !== 0) reject(new Error(`worker exited with code ${code}`));
    });
  });
}

/** Split 0..n-1 into `parts` contiguous, nearly equal slices. */
function slices(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const from = Math.floor((p * n) / parts);
    const to = Math.floor(((p + 1) * n) / parts);
    if (to > from) out.push([from, to]);
  }
  return out;
}

/**
 * train() on several cores: replicas are spread over workers (one per core by default; one
 * thread per replica measured slower on 2 cores, and each thread costs memory); same result
 * as train().
 */
export async function trainParallel(input: TrainConfigInput, options: TrainOptions & { workers?: number } = {}): Promise<TrainResult> {
  const config = resolveTrainConfig(input);
  const layout = paramLayout(config.layerSizes);
  const workers = Math.min(options.workers ?? defaultWorkers(), config.replicas);
  const total = totalTasks(config, options.pool?.length);
  const progress = progressCounter(config, total, options);
  const tasks = options.pool?.map(toSpec);
  const replicas: Float64Array[] = new Array(config.replicas);
  const history: number[][] = new Array(config.replicas);
  const start = performance.now();
  const ids = Array.from({ length: config.replicas }, (_, r) => r);
  await Promise.all(
    slices(config.replicas, workers).map(([from, to]) =>
      startWorker({ kind: 'train', config, replicaIds: ids.slice(from, to), progressEvery: Math.max(1, Math.floor(progress.every / workers)), tasks }, (reply) => {
        if (reply.kind === 'progress') {
          progress.add(reply.tasks, reply.lossSum, reply.replica);
        } else if (reply.kind === 'replica') {
          replicas[reply.replica] = reply.theta;
          history[reply.replica] = reply.history;
        }
      }),
    ),
  );
  const elapsedMs = performance.now() - start;
  return { config, layout, replicas, history, elapsedMs, msPerTask: elapsedMs / total };
}

/** evaluate() on several cores: tasks are spread over workers; same result as evaluate(). */
export async function evaluateParallel(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Partial<EvalOptions> = {}, workers = defaultWorkers()): Promise<EvalResult> {
  const resolved = checkEvaluation(replicas, layout, tasks, options);
  const parts = slices(tasks.length, Math.min(workers, tasks.length));
  const results: Float64Array[][] = new Array(parts.length);
  await Promise.all(
    parts.map(([from, to], i) =>
      startWorker({ kind: 'curves', models: replicas, layerSizes: layout.layerSizes, tasks: tasks.slice(from, to).map(toSpec), options: resolved }, (reply) => {
        if (reply.kind === 'curves') results[i] = reply.curves;
      }),
    ),
  );
  const width = resolved.record.length;
  const curves = replicas.map((_, r) => {
    const joined = new Float64Array(tasks.length * width);
    parts.forEach(([from], i) => joined.set(results[i][r], from * width));
    return joined;
  });
  return summarizeCurves(curves, tasks.length, resolved);
}
