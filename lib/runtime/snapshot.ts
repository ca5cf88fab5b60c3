/**
 * Snapshots of a training in progress, kept beside its output (`FILE.partial`), so that a
 * killed or interrupted run continues where it was instead of starting over, and ends with the
 * parameters an uninterrupted run gives, bit for bit.
 *
 * A snapshot holds, per replica, everything `ReplicaTrainer` needs (parameters, Adam's moments
 * and step count, the generator's position and its position at the epoch's start, from which
 * the epoch's task order is replayed, the epoch and task reached, the unfinished meta-batch,
 * the losses so far), the finished replicas' results, and the config with its hash: a snapshot
 * of other arguments, another library version, a truncated or edited file is refused with one
 * line, never used. Arrays are stored as base64 of their float64 bytes (exact, -0 included).
 * It is written with the same atomic writer as checkpoints and removed after the final save.
 *
 * Not in a notebook: README "Resuming and interrupting".
 */
import * as fs from 'node:fs';
import { configKey, writeFileAtomic } from './checkpoint';
import { trainParallel } from './parallel';
import {
  DEFAULT_SNAPSHOT_MS, ReplicaState, resolveTrainConfig, RunState, tasksDoneIn, totalTasks, trainAsync, TrainConfig, TrainConfigInput,
  TrainingInterrupted,
  TrainOptions, TrainResult,
} from '../training/train';
import { LIBRARY_VERSION } from '../core/version';
import { ALGORITHM } from '../algorithms/registry';
import { MamlInputError } from '../core/validate';

/** The `format` field of a snapshot file (a training in progress). */
export const SNAPSHOT_FORMAT = 'maml-sine/snapshot@1';

/** The snapshot that goes with an output file. */
export function snapshotPath(out: string): string {
  return `${out}.partial`;
}

/** MAML_SNAPSHOT_SECONDS (a positive number), else every 2 s of work. */
export function snapshotEveryMs(): number {
  const env = process.env.MAML_SNAPSHOT_SECONDS;
  if (env === undefined || env === '') return DEFAULT_SNAPSHOT_MS;
  const seconds = Number(env);
  if (!/^\s*\d*\.?\d+\s*$/.test(env) || !(seconds > 0)) throw new MamlInputError(`MAML_SNAPSHOT_SECONDS = ${JSON.stringify(env)} is invalid: expected a positive number of seconds`);
  return seconds * 1000;
}

function encode(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function decode(text: unknown, length: number, where: string): Float64Array {
  if (typeof text !== 'string') throw new Error(`${where} is ${typeof text}, expected base64 text`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length * 8) throw new Error(`${where} holds ${bytes.length / 8} numbers, expected ${length}`);
  const out = new Float64Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** The snapshot file's text. */
export function snapshotText(config: TrainConfig, state: RunState): string {
  return JSON.stringify({
    format: SNAPSHOT_FORMAT,
    libraryVersion: LIBRARY_VERSION,
    configKey: configKey(config),
    createdAt: new Date().toISOString(),
    config,
    done: tasksDoneIn(state, config),
    total: totalTasks(config),
    elapsedMs: state.elapsedMs,
    replicas: state.replicas.map((r) =>
      r === null
        ? null
        : {
            replica: r.replica, epoch: r.epoch, task: r.task, epochRng: r.epochRng, rng: r.rng, adamSteps: r.adamSteps, inBatch: r.inBatch,
            lossSum: encode(Float64Array.of(r.lossSum)), history: encode(Float64Array.from(r.history)),
            theta: encode(r.theta), adamM: encode(r.adamM), adamV: encode(r.adamV), batchGrad: encode(r.batchGrad),
          },
    ),
  });
}

let snapshotWrites = 0;

/** Writes a run's state next to its checkpoint, atomically, so that the run can resume from it. */
export function writeSnapshot(file: string, config: TrainConfig, state: RunState): void {
  const text = snapshotText(config, state);
  snapshotWrites++;
  // test hook (test/resume.test.ts): the Nth snapshot write dies by SIGKILL halfway through
  // writing its bytes, as a kill -9 or a power cut during the write would
  if (process.env.MAML_TEST_KILL_IN_SNAPSHOT_WRITE === String(snapshotWrites)) return killHalfwayThrough(() => writeFileAtomic(file, text));
  writeFileAtomic(file, text);
}

function killHalfwayThrough(write: () => void): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const realFs = require('node:fs') as typeof fs;
  const writeSync = realFs.writeSync;
  (realFs as { writeSync: unknown }).writeSync = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (fd > 2) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      writeSync(fd, bytes.subarray(0, Math.floor(bytes.length / 2)));
      process.kill(process.pid, 'SIGKILL');
    }
    return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
  };
  try {
    write();
  } finally {
    (realFs as { writeSync: unknown }).writeSync = writeSync;
  }
}

/** Remove a snapshot (after the final save); absent is fine. */
export function removeSnapshot(file: string): void {
  fs.rmSync(file, { force: true });
}

function refuse(file: string, why: string): never {
  throw new MamlInputError(`snapshot ${file} cannot be used: ${why}; delete it to start over`);
}

function isWordArray(a: unknown): a is number[] {
  return Array.isArray(a) && a.length === 4 && a.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) && a.some((w) => w !== 0);
}

/**
 * Read the snapshot of `config`, checking everything before any of it is used: format, library
 * version and config (by hash, naming the arguments that differ), and each replica's fields.
 */
export function readSnapshot(file: string, config: TrainConfig): RunState & { done: number } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    refuse(file, `it cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!stat.isFile()) refuse(file, 'it is not a regular file');
  let body: any;
  try {
    body = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    refuse(file, `it is not valid JSON (${(err as Error).message}), it may be truncated`);
  }
  if (body === null || typeof body !== 'object' || body.format !== SNAPSHOT_FORMAT) refuse(file, `its format is not ${SNAPSHOT_FORMAT}`);
  if (body.libraryVersion !== LIBRARY_VERSION) refuse(file, `it was written by library version ${JSON.stringify(body.libraryVersion)}, this is ${LIBRARY_VERSION}`);
  if (body.configKey !== configKey(config) || configKey(body.config ?? {}) !== body.configKey) {
    const theirs = body.config && typeof body.config === 'object' ? body.config : {};
    const differs = Object.keys(config).filter((k) => JSON.stringify(theirs[k]) !== JSON.stringify(config[k as keyof TrainConfig]));
    refuse(file, `it was written by a training with other arguments (${differs.map((k) => `${k}: ${JSON.stringify(theirs[k])} there, ${JSON.stringify(config[k as keyof TrainConfig])} here`).join('; ') || 'config hash differs'})`);
  }
  if (!Array.isArray(body.replicas) || body.replicas.length !== config.replicas) refuse(file, `expected ${config.replicas} replica entries`);
  if (typeof body.elapsedMs !== 'number' || !(body.elapsedMs >= 0)) refuse(file, 'elapsedMs is not a non-negative number');
  const perEpoch = config.tasks;
  const size = (ALGORITHM[config.algo].learnsRates ? 2 : 1) * paramCount(config);
  const replicas = (body.replicas as unknown[]).map((raw, i): ReplicaState | null => {
    if (raw === null) return null;
    const r = raw as Record<string, unknown>;
    const where = `replicas[${i}]`;
    const int = (name: string, lo: number, hi: number) => {
      const v = r[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) refuse(file, `${where}.${name} = ${JSON.stringify(v)}, expected an integer in [${lo}, ${hi}]`);
      return v;
    };
    const replica = int('replica', i, i);
    const epoch = int('epoch', 0, config.epochs);
    const task = int('task', 0, epoch === config.epochs ? 0 : perEpoch - 1);
    const inBatch = int('inBatch', 0, config.metaBatchSize - 1);
    const adamSteps = int('adamSteps', 0, Number.MAX_SAFE_INTEGER);
    if (!isWordArray(r.epochRng) || !isWordArray(r.rng)) refuse(file, `${where}: generator state is not four 32-bit words`);
    try {
      const history = Array.from(decode(r.history, epoch, `${where}.history`));
      const lossSum = decode(r.lossSum, 1, `${where}.lossSum`)[0];
      const state: ReplicaState = {
        replica, epoch, task, inBatch, adamSteps, epochRng: r.epochRng, rng: r.rng, history, lossSum,
        theta: decode(r.theta, size, `${where}.theta`),
        adamM: decode(r.adamM, size, `${where}.adamM`),
        adamV: decode(r.adamV, size, `${where}.adamV`),
        batchGrad: decode(r.batchGrad, size, `${where}.batchGrad`),
      };
      for (const name of ['theta', 'adamM', 'adamV', 'batchGrad'] as const) {
        if (!state[name].every(Number.isFinite)) throw new Error(`${where}.${name} holds a non-finite number`);
      }
      return state;
    } catch (err) {
      refuse(file, (err as Error).message);
    }
  });
  const state = { replicas, elapsedMs: body.elapsedMs as number };
  return { ...state, done: tasksDoneIn(state, config) };
}

function paramCount(config: TrainConfig): number {
  let n = 0;
  for (let i = 1; i < config.layerSizes.length; i++) n += config.layerSizes[i - 1] * config.layerSizes[i] + config.layerSizes[i];
  return n;
}

/** How a resumable training runs: its output, whether to resume, snapshots, progress and saving. */
export interface ResumableOptions {
  /** the checkpoint the run ends with; the snapshot is `snapshotPath(out)` */
  out: string;
  /** asked to resume (the CLI's --resume): without a snapshot, a note and a fresh start */
  resume: boolean;
  /**
   * a snapshot exists but resume is false: 'refuse' (the CLI: never overwrite partial work
   * unasked) or 'resume' (the notebooks); an unusable snapshot is refused either way
   */
  whenSnapshotWithoutResume: 'refuse' | 'resume';
  /** worker threads (trainParallel) or the main thread (trainAsync) */
  parallel: boolean;
  workers?: number;
  onProgress?: TrainOptions['onProgress'];
  signal?: AbortSignal;
  /** told what happens: "resuming from ..." */
  log?: (line: string) => void;
  /** saves the final result (the snapshot is removed only after it returned) */
  save: (result: TrainResult) => void;
}

/**
 * Train with snapshots: resume from the snapshot of `out` if allowed, keep it up to date while
 * training, save the result with `save`, then remove the snapshot. On `signal` the run stops,
 * the snapshot is brought up to date and TrainingInterrupted is thrown (the snapshot stays).
 */
export async function trainWithSnapshots(input: TrainConfigInput, options: ResumableOptions): Promise<TrainResult & { resumedAt: number | null }> {
  const config = resolveTrainConfig(input);
  const file = snapshotPath(options.out);
  const everyMs = snapshotEveryMs();
  let resume: (RunState & { done: number }) | undefined;
  if (fs.existsSync(file) || isDanglingLink(file)) {
    if (!options.resume && options.whenSnapshotWithoutResume === 'refuse') {
      throw new MamlInputError(`${file} holds a partial training: add --resume to continue it, or delete it to start over`);
    }
    resume = readSnapshot(file, config);
    options.log?.(`resuming from ${file}: ${resume.done.toLocaleString('en-US')} / ${totalTasks(config).toLocaleString('en-US')} tasks done`);
  } else if (options.resume) {
    options.log?.(`no snapshot at ${file}: starting from the beginning`);
  }
  const trainOptions: TrainOptions & { workers?: number } = {
    onProgress: options.onProgress,
    resume,
    snapshotEveryMs: everyMs,
    onSnapshot: (state) => writeSnapshot(file, config, state),
    signal: options.signal,
    workers: options.workers,
  };
  const result = options.parallel ? await trainParallel(config, trainOptions) : await trainAsync(config, trainOptions);
  options.save(result);
  removeSnapshot(file);
  return { ...result, resumedAt: resume?.done ?? null };
}

function isDanglingLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A word as a POSIX shell reads it back. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:,+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The CLI's training: trainWithSnapshots on the main thread (workers ≤ 1) or on worker threads,
 * with SIGINT and SIGTERM handled. A signal stops the run after the current task, brings the snapshot up to date,
 * prints one line (what was saved and the command that resumes) and exits 130 (SIGINT) or 143
 * (SIGTERM). A second signal exits at once (the snapshot on disk is complete either way: it is
 * written atomically).
 */
export async function trainWithSignals(
  config: TrainConfig,
  options: { out: string; resume: boolean; command: string[]; onProgress?: TrainOptions['onProgress']; save: (result: TrainResult) => void; workers?: number },
): Promise<TrainResult> {
  const controller = new AbortController();
  const file = snapshotPath(options.out);
  const exitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== null) {
      console.error(`\nmaml-sine: ${signal} again: exiting now; the last snapshot in ${file} (if any) is kept`);
      process.exit(exitCode(signal));
    }
    received = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await trainWithSnapshots(config, {
      out: options.out, resume: options.resume, whenSnapshotWithoutResume: 'refuse', parallel: (options.workers ?? 1) > 1, workers: options.workers, onProgress: options.onProgress,
      signal: controller.signal, save: options.save, log: (line) => console.error(`maml-sine: ${line}`),
    });
  } catch (err) {
    if (err instanceof TrainingInterrupted && received !== null) {
      const command = [...options.command.filter((a) => a !== '--resume'), '--resume'].map(shellWord).join(' ');
      console.error(
        `${process.stderr.isTTY ? '\n' : ''}maml-sine: ${received}: stopped at ${err.done.toLocaleString('en-US')} / ` +
          `${err.total.toLocaleString('en-US')} tasks, snapshot saved to ${file}; resume with: npx maml-sine ${command}`,
      );
      process.exit(exitCode(received));
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
