/**
 * Training and evaluation on several cores with worker threads. Replicas are independent
 * (each has its own seed stream) and so are evaluation tasks, so the work splits without
 * changing a single number: the results equal train() / evaluate() bit for bit (tested).
 *
 * The calls are async, which also frees the notebook's main thread to send progress-bar
 * updates while the workers compute.
 *
 * Explained in notebook 04 (models trained on all cores); README "Speed".
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkEvaluation, EvalOptions, EvalResult, summarizeCurves } from '../evaluation/evaluate';
import { ParamLayout, paramLayout } from '../model/params';
import { SineTask, SineTaskOptions } from '../tasks/sineTask';
import { InterruptedError, whileInterruptible } from '../training/interrupt';
import {
  checkResumeState, DEFAULT_SNAPSHOT_MS, progressCounter, ReplicaState, resolveTrainConfig, RunState, tasksDoneIn, totalTasks, TrainConfig,
  TrainConfigInput, TrainingInterrupted, TrainResult, TrainOptions,
} from '../training/train';
import { checkInt, ErrorData, fromErrorData } from '../core/validate';

interface TaskSpec {
  amplitude: number;
  phase: number;
  supportX: number[];
  options: SineTaskOptions;
  testX: number[] | null;
}

/** What a worker thread is asked to do: train some replicas, or compute curves for some tasks. */
export type WorkerJob =
  | {
      kind: 'train';
      config: TrainConfig;
      replicaIds: number[];
      progressEvery: number;
      tasks?: TaskSpec[];
      /** where each of replicaIds starts (null: from scratch) */
      resume: (ReplicaState | null)[];
      /** post the replica's state this often (Infinity: only at its end) */
      snapshotEveryMs: number;
      /** Int32Array over it: [0] set to 1 asks the worker to stop after the current task */
      stop: SharedArrayBuffer;
    }
  | { kind: 'curves'; models: Float64Array[]; layerSizes: number[]; tasks: TaskSpec[]; options: Required<EvalOptions> };

/** What a worker thread posts back: progress, states, curves, the end, or its error (as data). */
export type WorkerReply =
  | { kind: 'progress'; replica: number; tasks: number; lossSum: number }
  | { kind: 'state'; state: ReplicaState }
  | { kind: 'stopped' }
  | { kind: 'curves'; curves: Float64Array[] }
  | { kind: 'done' }
  | { kind: 'error'; error: ErrorData };

/** The most worker threads a run may ask for (MAML_WORKERS, the CLI's --workers). */
export const MAX_WORKERS = 64;

/** MAML_WORKERS, else one per core (at most 4). */
export function defaultWorkers(): number {
  const env = process.env.MAML_WORKERS;
  if (env !== undefined && env !== '') return checkInt('MAML_WORKERS', /^[0-9]+$/.test(env) ? Number(env) : env, 1, MAX_WORKERS);
  return Math.max(1, Math.min(4, os.cpus().length));
}

function toSpec(task: SineTask): TaskSpec {
  return { amplitude: task.amplitude, phase: task.phase, supportX: Array.from(task.supportX), options: task.options, testX: task.testX && Array.from(task.testX) };
}

/**
 * Workers kept between calls, unref'd (they keep no process alive): starting one costs ~175 ms
 * of CPU (tsx, the library, the wasm modules; measured), and a notebook makes up to eight calls
 * (32 evaluations and 9 trainings in a full report). Only a worker whose job ended with 'done'
 * comes back here, at most one per core, for at most idleWorkerMs; one that was stopped, failed,
 * interrupted, raised an error or exited is terminated, never reused. A kept worker keeps what
 * it loaded (tfjs after an autodiff job) and the environment it started with (MAML_BACKEND).
 */
const idle: Worker[] = [];
const idleTimers = new Map<Worker, NodeJS.Timeout>();
/** workers that exited or raised an error outside a job's listeners: never kept */
const broken = new WeakSet<Worker>();
/** workers whose last job ended with 'done' (its listeners detached) */
const reusable = new WeakSet<Worker>();

/**
 * How long a kept worker waits for its next job before it is terminated (each holds ~15 MB,
 * measured; more after an autodiff job). A notebook's calls come seconds apart.
 */
let idleWorkerMs = 60_000;

/** Set how long kept workers wait for a next job (the tests shorten it); returns the previous value. */
export function setIdleWorkerMs(ms: number): number {
  const previous = idleWorkerMs;
  idleWorkerMs = checkInt('idle worker ms', ms, 0);
  return previous;
}

/** Workers waiting for a job now. */
export function idleWorkers(): number {
  return idle.length;
}

let workersStarted = 0;
let workersExited = 0;

/** Worker threads started so far in this process (the tests check that calls reuse them). */
export function workerStarts(): number {
  return workersStarted;
}

/** Worker threads alive now: working or kept idle. */
export function liveWorkers(): number {
  return workersStarted - workersExited;
}

function forget(worker: Worker): void {
  const i = idle.indexOf(worker);
  if (i >= 0) idle.splice(i, 1);
  clearTimeout(idleTimers.get(worker));
  idleTimers.delete(worker);
}

/**
 * A new worker on lib/runtime/worker.ts, waiting for jobs. Workers do not inherit a TypeScript
 * loader (and the tslab kernel has none), so the worker first registers tsx itself.
 */
function newWorker(): Worker {
  const tsx = require.resolve('tsx/cjs/api');
  const file = path.join(__dirname, 'worker.ts');
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`;
  const worker = new Worker(code, { eval: true });
  workersStarted++;
  worker.on('exit', () => {
    workersExited++;
    broken.add(worker);
    forget(worker);
  });
  // an error while no job listens (kept idle, or between 'done' and the call's end) must not
  // crash the process as an unhandled 'error' event; the worker is never used again
  worker.on('error', () => {
    broken.add(worker);
    forget(worker);
    void worker.terminate();
  });
  return worker;
}

function takeIdle(): Worker | undefined {
  const worker = idle.pop();
  if (worker !== undefined) forget(worker);
  return worker;
}

function keepIdle(worker: Worker): void {
  worker.unref();
  idle.push(worker);
  const timer = setTimeout(() => {
    forget(worker);
    void worker.terminate();
  }, idleWorkerMs);
  timer.unref();
  idleTimers.set(worker, timer);
}

/**
 * Run `job` on a worker, an idle one if there is one; resolves on the job's 'done' or
 * 'stopped'. The worker is added to `started`: the caller ends every call with endWorkers(started).
 */
function startWorker(job: WorkerJob, onReply: (reply: WorkerReply) => void, started: Worker[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = takeIdle() ?? newWorker();
    worker.ref();
    started.push(worker);
    let failed = false;
    const detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    function onMessage(reply: WorkerReply): void {
      if (reply.kind === 'error') {
        failed = true;
        detach();
        reject(fromErrorData(reply.error));
        void worker.terminate();
      } else if (reply.kind === 'done') {
        detach();
        reusable.add(worker);
        resolve();
      } else if (reply.kind === 'stopped') {
        resolve();
      } else {
        onReply(reply);
      }
    }
    function onError(err: Error): void {
      failed = true;
      reject(err);
    }
    function onExit(code: number): void {
      if (!failed) reject(new Error(`worker exited with code ${code} before it finished`));
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  });
}

/** At most this many workers are kept: one per core. */
const KEEP_AT_MOST = Math.max(1, os.cpus().length);

/**
 * The end of a call: after a clean finish, workers whose job is done go back to the pool (at
 * most one per core); every other worker is terminated (stopped, interrupted, failed, broken).
 */
async function endWorkers(started: Worker[], clean: boolean): Promise<void> {
  const ending: Promise<number>[] = [];
  for (const worker of started) {
    const keep = clean && reusable.has(worker) && !broken.has(worker) && idle.length < KEEP_AT_MOST;
    reusable.delete(worker);
    if (keep) keepIdle(worker);
    else ending.push(worker.terminate());
  }
  await Promise.all(ending);
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
 * A promise that resolves when `signal` aborts (at once if it already has), and `dispose`, which
 * removes its listener: a signal shared by many calls collects none.
 */
function untilAborted(signal: AbortSignal): { aborted: Promise<void>; dispose: () => void } {
  let dispose = () => {};
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    dispose = () => signal.removeEventListener('abort', onAbort);
  });
  return { aborted, dispose };
}

/** Wait for `promise`, but no longer than `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => undefined, () => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** How long stopping workers may take before they are terminated without their last state. */
const STOP_GRACE_MS = 500;

/**
 * train() on several cores: replicas are spread over workers (one per core by default; one
 * thread per replica measured slower on 2 cores, and each thread costs memory); same result
 * as train(), also with snapshots and resume (see train()). When `signal` aborts (or, in a
 * tslab kernel, on Kernel > Interrupt), the workers stop after their current task, onSnapshot
 * receives their state, every worker is terminated, and the call rejects with
 * TrainingInterrupted. Workers are terminated on every failure too.
 *
 * @example
 *   const model = await trainParallel({ algo: 'fomaml', replicas: 5 }, { workers: 2 });
 *   // model.replicas equal train({ algo: 'fomaml', replicas: 5 }).replicas bit for bit
 */
export async function trainParallel(input: TrainConfigInput, options: TrainOptions & { workers?: number } = {}): Promise<TrainResult> {
  return whileInterruptible((signal) => trainOnWorkers(input, { ...options, signal }), options.signal);
}

async function trainOnWorkers(input: TrainConfigInput, options: TrainOptions & { workers?: number }): Promise<TrainResult> {
  const config = resolveTrainConfig(input);
  const layout = paramLayout(config.layerSizes);
  const poolSize = options.pool?.length ?? config.tasks;
  const total = totalTasks(config, options.pool?.length);
  const resume = checkResumeState(options.resume, config);
  const states: (ReplicaState | null)[] = resume?.replicas.slice() ?? new Array(config.replicas).fill(null);
  const previousMs = resume?.elapsedMs ?? 0;
  const tasks = options.pool?.map(toSpec);
  const start = performance.now();
  const runState = (): RunState => ({ replicas: states.slice(), elapsedMs: previousMs + performance.now() - start });
  const isFinished = (s: ReplicaState | null) => s !== null && s.epoch >= config.epochs;
  const todo = states.map((s, r) => (isFinished(s) ? -1 : r)).filter((r) => r >= 0);
  const workers = Math.min(options.workers ?? defaultWorkers(), Math.max(1, todo.length));
  const progress = progressCounter(config, total, options, { done: tasksDoneIn(resume, config, poolSize), elapsedMs: previousMs }, workers);
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const started: Worker[] = [];
  let finishedCleanly = false;
  const onAbort = () => Atomics.store(stopFlag, 0, 1);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const running = slices(todo.length, workers).map(([from, to]) => {
    const ids = todo.slice(from, to);
    const job: WorkerJob = {
      kind: 'train', config, replicaIds: ids, progressEvery: Math.max(1, Math.floor(progress.every / workers)), tasks,
      resume: ids.map((r) => states[r]), snapshotEveryMs: options.onSnapshot ? options.snapshotEveryMs ?? DEFAULT_SNAPSHOT_MS : Infinity, stop,
    };
    return startWorker(job, (reply) => {
      if (reply.kind === 'progress') {
        progress.add(reply.tasks, reply.lossSum, reply.replica);
      } else if (reply.kind === 'state') {
        states[reply.state.replica] = reply.state;
        // the last replica's end is followed by the final result, not a snapshot
        if (options.onSnapshot && !(isFinished(reply.state) && states.every(isFinished))) options.onSnapshot(runState());
      }
    }, started);
  });
  try {
    if (options.signal) {
      // an abort ends the wait at once; the workers then get a moment to post their state
      const wait = untilAborted(options.signal);
      try {
        await Promise.race([Promise.all(running), wait.aborted]);
      } finally {
        wait.dispose();
      }
      if (options.signal.aborted) await within(Promise.all(running), STOP_GRACE_MS);
    } else {
      await Promise.all(running);
    }
    finishedCleanly = !options.signal?.aborted;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await endWorkers(started, finishedCleanly);
  }
  if (options.signal?.aborted) {
    const state = runState();
    options.onSnapshot?.(state);
    const done = tasksDoneIn(state, config, poolSize);
    throw new TrainingInterrupted(`training interrupted at ${done} / ${total} tasks`, state, done, total);
  }
  const replicas = states.map((s) => s!.theta);
  const history = states.map((s) => s!.history);
  progress.finish(history);
  const elapsedMs = previousMs + performance.now() - start;
  return { config, layout, replicas, history, elapsedMs, msPerTask: elapsedMs / total };
}

/** evaluate() on several cores: tasks are spread over workers; same result as evaluate(). */
export async function evaluateParallel(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Partial<EvalOptions> = {}, workers = defaultWorkers(), signal?: AbortSignal): Promise<EvalResult> {
  const resolved = checkEvaluation(replicas, layout, tasks, options);
  const parts = slices(tasks.length, Math.min(workers, tasks.length));
  const results: Float64Array[][] = new Array(parts.length);
  await whileInterruptible(async (abort) => {
    const started: Worker[] = [];
    const running = Promise.all(
      parts.map(([from, to], i) =>
        startWorker({ kind: 'curves', models: replicas, layerSizes: layout.layerSizes, tasks: tasks.slice(from, to).map(toSpec), options: resolved }, (reply) => {
          if (reply.kind === 'curves') results[i] = reply.curves;
        }, started),
      ),
    );
    let finishedCleanly = false;
    try {
      if (abort === undefined) {
        await running;
      } else {
        const wait = untilAborted(abort);
        try {
          await Promise.race([running, wait.aborted]);
        } finally {
          wait.dispose();
        }
      }
      finishedCleanly = !abort?.aborted;
    } finally {
      running.catch(() => {}); // after an interrupt the terminated workers' exits are no news
      await endWorkers(started, finishedCleanly);
    }
    if (abort?.aborted) throw new InterruptedError(`interrupted: evaluation of ${replicas.length} model(s) on ${tasks.length} tasks (nothing saved)`);
  }, signal);
  const width = resolved.record.length;
  const curves = replicas.map((_, r) => {
    const joined = new Float64Array(tasks.length * width);
    parts.forEach(([from], i) => joined.set(results[i][r], from * width));
    return joined;
  });
  return summarizeCurves(curves, tasks.length, resolved);
}
