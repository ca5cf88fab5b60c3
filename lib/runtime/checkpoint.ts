/**
 * Checkpoints: trained parameters (every replica) with the config, seed and library version,
 * as JSON written atomically, so a failed save never leaves a half-written file where a good
 * one was, and read defensively, so a damaged or hostile file is refused with one line.
 *
 * Writing (writeFileAtomic): the target must be a regular file or absent; the bytes go to a
 * sibling temp file `.NAME.tmp-PID-RANDOM`, every byte is written (a short write is retried,
 * a write that makes no progress fails), the file is fsynced, its size and content are read
 * back and compared, and only then is it renamed over the target and the folder fsynced. On
 * any failure the temp file (and any folder the write created) is removed and a StorageError
 * names the path and the cause; temp files left by a killed process are removed by the next
 * write to the same target.
 *
 * Explained in notebook 04 (trained models are cached); README "Reliability" (atomic writes).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromNamedArrays, ParamLayout, paramLayout, toNamedArrays } from '../model/params';
import { ALGORITHM } from '../algorithms/registry';
import { resolveTrainConfig, TrainConfig, TrainResult } from '../training/train';
import { LIBRARY_VERSION } from '../core/version';
import { checkTrainLimits, DivergedError, LIMITS, MamlInputError, quote, show, StorageError } from '../core/validate';

/** The `format` field of a checkpoint file this library writes and reads. */
export const CHECKPOINT_FORMAT = 'maml-sine/checkpoint@1';
const CHECKPOINT_FIELDS = ['format', 'libraryVersion', 'createdAt', 'config', 'layerSizes', 'training', 'replicas'];

/** A loaded checkpoint: the config, the layout, every replica's parameters and the training's history. */
export interface Checkpoint {
  config: TrainConfig;
  layout: ParamLayout;
  replicas: Float64Array[];
  libraryVersion: string;
  history: number[][];
  elapsedMs: number;
  /** things a reader should know but that do not stop loading (e.g. a different library version) */
  warnings: string[];
}

/**
 * How a model's meta-parameters are stored: the weights by name, and for Meta-SGD also its
 * learned learning rates as `innerLr.<name>`.
 */
export function storageLayout(config: Pick<TrainConfig, 'algo' | 'layerSizes'>): ParamLayout {
  const layout = paramLayout(config.layerSizes);
  if (!ALGORITHM[config.algo].learnsRates) return layout;
  const lrs = layout.entries.map((e) => ({ ...e, name: `innerLr.${e.name}`, offset: e.offset + layout.size }));
  return { ...layout, entries: [...layout.entries, ...lrs], size: 2 * layout.size };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** The file operations of the data path; tests pass a wrapper to simulate short writes. */
export interface WriteFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  fstatSync(fd: number): { size: number };
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

/** Options of writeFileAtomic: what the file is (for messages) and the file operations to use. */
export interface AtomicWriteOptions {
  /** what the file is, for messages (default "file") */
  what?: string;
  /** the file operations to use (default: node:fs) */
  fs?: WriteFs;
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENAMETOOLONG: 'file name too long',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EEXIST: 'a file of that name appeared meanwhile',
  ESHORT: 'the file system accepted fewer bytes than were written',
  EVERIFY: 'the bytes read back differ from those written',
  ENOTREG: 'it is not a regular file',
};

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

function ioError(code: string, detail?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(detail ?? CAUSES[code] ?? code);
  err.code = code;
  return err;
}

function describe(code: string, detail?: string): string {
  return `${detail ?? CAUSES[code] ?? 'the operating system refused it'} (${code})`;
}

/** How a refused write ends a message: whether a file was there before it (and is as it was). */
function unwritten(existed: boolean): string {
  return existed ? 'the previous file is unchanged' : 'nothing was written';
}

function storageError(what: string, target: string, err: unknown, previous: 'unchanged' | 'absent'): StorageError {
  if (err instanceof StorageError) return err;
  const code = errnoOf(err);
  const detail = code === 'ESHORT' || code === 'EVERIFY' || code === 'ENOTREG' ? (err as Error).message : undefined;
  return new StorageError(`cannot write ${what} ${quote(target)}: ${describe(code, detail)}; ${unwritten(previous === 'unchanged')}`, target, code);
}

/** The kind of a non-regular file, for messages. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const NAME_MAX = 255;
const TEMP_TAIL = /^(\d+)-[0-9a-f]{8}$/;

/** The temp-file prefix for a target name: `.NAME.tmp-`, NAME cut so the whole fits NAME_MAX. */
function tempPrefix(base: string): string {
  let cut = base;
  while (Buffer.byteLength(cut) > NAME_MAX - 26) cut = cut.slice(0, -1);
  return `.${cut}.tmp-`;
}

function tempName(base: string): string {
  return `${tempPrefix(base)}${process.pid}-${randomBytes(4).toString('hex')}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes temp files of `base` left in `dir` by processes that no longer run. */
function removeStaleTemps(dir: string, base: string): void {
  const prefix = tempPrefix(base);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_TAIL.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // another writer may have removed it first
    }
  }
}

/** A write target that passed its checks: the folder, and folders created for it. */
export interface PreparedOutput {
  file: string;
  dir: string;
  /** folders created for this output, deepest last (removed again by release() if empty) */
  created: string[];
  /** true when a regular file is already there (a failed write leaves it unchanged) */
  existed: boolean;
  /** removes the folders created for this output, if they are still empty */
  release(): void;
}

/** Throws unless `target` is a regular file or absent; returns whether it exists. */
function checkTargetKind(target: string, what: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return false;
    throw storageError(what, target, err, 'absent');
  }
  if (st.isFile()) return true;
  const hint = st.isDirectory() ? '; give a file name inside it' : st.isSymbolicLink() ? '; give the real path' : '';
  throw new StorageError(
    `cannot write ${what} ${quote(target)}: it is ${kindOf(st)}, expected a regular file or a new name${hint}`,
    target,
    st.isDirectory() ? 'EISDIR' : 'ENOTREG',
  );
}

/**
 * Checks that `file` can be written, before any work is done: the target is a regular file or
 * absent, its name fits, its folder exists (missing folders are created and recorded) and a
 * file can be created there (a probe temp file is created and removed). Throws a StorageError.
 */
export function prepareOutput(file: string, what = 'file'): PreparedOutput {
  if (typeof file !== 'string' || file === '' || file.includes('\0')) {
    throw new MamlInputError(`${what} path = ${show(file)} is invalid: expected a file name`, { option: 'path', value: file });
  }
  const target = path.resolve(file);
  if (file.endsWith('/') || file.endsWith(path.sep) || file === '.' || file === '..' || file.endsWith(`${path.sep}.`) || file.endsWith(`${path.sep}..`)) {
    throw new StorageError(`cannot write ${what} ${quote(file)}: it names a directory, expected a file name`, target, 'EISDIR');
  }
  const base = path.basename(target);
  if (Buffer.byteLength(base) > NAME_MAX) {
    throw new StorageError(
      `cannot write ${what} ${quote(target)}: ${describe('ENAMETOOLONG')}, expected at most ${NAME_MAX} bytes per name`,
      target,
      'ENAMETOOLONG',
    );
  }
  const existed = checkTargetKind(target, what);
  const dir = path.dirname(target);
  const created: string[] = [];
  const release = () => {
    for (const d of [...created].reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        break; // not empty (or gone): keep it and its parents
      }
    }
    created.length = 0;
  };
  try {
    // find the nearest existing ancestor, then create the missing levels one by one
    const missing: string[] = [];
    let d = dir;
    for (;;) {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(d);
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw err;
      }
      if (st) {
        if (!st.isDirectory()) throw ioError('ENOTDIR', `${quote(d)} is ${kindOf(st)}, not a directory`);
        break;
      }
      missing.unshift(d);
      const up = path.dirname(d);
      if (up === d) break;
      d = up;
    }
    for (const m of missing) {
      fs.mkdirSync(m);
      created.push(m);
    }
    removeStaleTemps(dir, base);
    // a probe: proves the folder takes a new file of the temp name's length (permissions,
    // read-only mounts, name limits), without touching the target
    const probe = path.join(dir, tempName(base));
    fs.closeSync(fs.openSync(probe, 'wx', 0o600));
    fs.unlinkSync(probe);
  } catch (err) {
    release();
    if (err instanceof StorageError) throw err;
    const code = errnoOf(err);
    const detail = code === 'ENOTDIR' && (err as Error).message.includes('not a directory') ? (err as Error).message : undefined;
    throw new StorageError(
      `cannot write ${what} ${quote(target)}: ${describe(code, detail)}; ${unwritten(existed)}`,
      target,
      code,
    );
  }
  return { file: target, dir, created, existed, release };
}

/** Writes all of `bytes` at the file's start, retrying short writes; fails if no progress. */
function writeAll(io: WriteFs, fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const n = io.writeSync(fd, bytes, offset, bytes.length - offset, offset);
    if (!(n > 0)) throw ioError('ESHORT', `the file system accepted ${offset} of ${bytes.length} bytes`);
    offset += n;
  }
}

/** Reads the file back and compares it with `bytes` (catches a write that reported more than it did). */
function verify(io: WriteFs, fd: number, bytes: Uint8Array): void {
  const size = io.fstatSync(fd).size;
  if (size !== bytes.length) throw ioError('ESHORT', `the file has ${size} bytes after writing ${bytes.length}`);
  const chunk = Buffer.allocUnsafe(Math.min(bytes.length, 1 << 20) || 1);
  let offset = 0;
  while (offset < bytes.length) {
    const n = io.readSync(fd, chunk, 0, Math.min(chunk.length, bytes.length - offset), offset);
    if (!(n > 0)) throw ioError('ESHORT', `only ${offset} of ${bytes.length} bytes could be read back`);
    if (Buffer.compare(chunk.subarray(0, n), bytes.subarray(offset, offset + n)) !== 0) {
      throw ioError('EVERIFY', `the bytes read back at offset ${offset} differ from those written`);
    }
    offset += n;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // some file systems cannot fsync a folder; the rename itself has happened
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF', 'EPERM'].includes(errnoOf(err))) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Write `data` to `file` atomically and checked (see the top of this file). Throws a
 * StorageError naming the path and the cause; the previous file is then unchanged.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const what = options.what ?? 'file';
  const io = options.fs ?? (fs as unknown as WriteFs);
  const out = prepareOutput(file, what);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = path.join(out.dir, tempName(path.basename(out.file)));
  let fd: number | undefined;
  let renamed = false;
  try {
    fd = io.openSync(tmp, 'wx+', 0o644);
    writeAll(io, fd, bytes);
    io.fsyncSync(fd);
    verify(io, fd, bytes);
    const closing = fd;
    fd = undefined;
    io.closeSync(closing);
    checkTargetKind(out.file, what); // still a regular file or absent (it may have changed meanwhile)
    io.renameSync(tmp, out.file);
    renamed = true;
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed or invalid: nothing more to release
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    out.release();
    throw storageError(what, out.file, err, out.existed ? 'unchanged' : 'absent');
  }
  try {
    fsyncDir(out.dir);
  } catch (err) {
    throw new StorageError(
      `${what} ${quote(out.file)} was written, but its folder could not be synced: ${describe(errnoOf(err))}`,
      out.file,
      errnoOf(err),
    );
  }
}

/**
 * An upper bound on a checkpoint's size in bytes: every stored number at its longest in JSON
 * (`-1.2345678901234567e-100,` is 25 characters) plus the names, config and history.
 */
export function checkpointSizeBound(config: TrainConfig): number {
  const layout = storageLayout(config);
  const perReplica = layout.size * 25 + layout.entries.reduce((sum, e) => sum + e.name.length + 8, 0);
  return config.replicas * perReplica + config.replicas * config.epochs * 25 + 4096;
}

/**
 * Throws the MamlInputError a loadCheckpoint of this config's checkpoint would throw for its
 * size or limits, before anything is trained: the limits (checkTrainLimits, with `label` naming
 * the fields as the caller's user knows them) and, since a file over LIMITS.checkpointBytes is not
 * read, the largest file the config could give (checkpointSizeBound).
 */
export function checkSavable(config: TrainConfig, label?: (field: string) => string): void {
  checkTrainLimits(config, label);
  const bound = checkpointSizeBound(config);
  if (bound > LIMITS.checkpointBytes) {
    const numbers = storageLayout(config).size;
    throw new MamlInputError(`checkpoint size = up to ${bound} bytes (${config.replicas} replica(s) × ${numbers} numbers) is over the limit: ` +
      `expected at most ${LIMITS.checkpointBytes} bytes per checkpoint file (limits: README "Reliability")`, { option: 'checkpoint size', value: bound, expected: `at most ${LIMITS.checkpointBytes} bytes` });
  }
}

/**
 * Throws a StorageError (ENOSPC) when the folder of `out` has less free space than `bytes`,
 * so a run that could not save its result is refused before it starts. A file system that
 * cannot report its free space is not checked (the write itself still is).
 */
export function checkFreeSpace(out: PreparedOutput, bytes: number, what = 'file'): void {
  let free: number;
  try {
    const st = fs.statfsSync(out.dir);
    free = Number(st.bavail) * Number(st.bsize);
  } catch {
    return;
  }
  if (free >= bytes) return;
  const kb = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  throw new StorageError(
    `cannot write ${what} ${quote(out.file)}: no space left on the device (ENOSPC): it needs up to ${kb(bytes)}, ` +
      `${kb(free)} are free; ${unwritten(out.existed)}`,
    out.file,
    'ENOSPC',
  );
}

/**
 * Writes a training's result as a JSON checkpoint, atomically (a crash leaves the old file or none).
 *
 * @example
 *   saveCheckpoint('maml.json', train({ algo: 'maml' }));
 *   const { config, layout, replicas } = loadCheckpoint('maml.json');
 */
export function saveCheckpoint(
  file: string,
  result: Pick<TrainResult, 'config' | 'layout' | 'replicas'> & Partial<Pick<TrainResult, 'history' | 'elapsedMs'>>,
  options: Omit<AtomicWriteOptions, 'what'> = {},
): void {
  // what loadCheckpoint refuses is not written (a last Adam step can leave a NaN the per-task loss check never saw)
  result.replicas.forEach((theta, r) => {
    const i = theta.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) {
      throw new DivergedError(`cannot write checkpoint ${quote(file)}: replica ${r}'s parameter ${i} is ${theta[i]}, expected finite numbers (the training diverged); ` +
        unwritten(fs.existsSync(file)), { option: 'checkpoint', value: file, expected: 'finite parameters' });
    }
  });
  const body = {
    format: CHECKPOINT_FORMAT,
    libraryVersion: LIBRARY_VERSION,
    createdAt: new Date().toISOString(),
    config: result.config,
    layerSizes: result.layout.layerSizes,
    training: { history: result.history ?? [], elapsedMs: result.elapsedMs ?? null },
    replicas: result.replicas.map((theta) => toNamedArrays(theta, storageLayout(result.config))),
  };
  writeFileAtomic(file, JSON.stringify(body), { ...options, what: 'checkpoint' });
}

// ---------------------------------------------------------------------------------------------
// Reading

function bad(file: string, what: string): never {
  throw new MamlInputError(`checkpoint ${quote(file)} is invalid: ${what}`, { option: 'checkpoint', value: file });
}

/**
 * The file's text, read only if it is a regular file of at most LIMITS.checkpointBytes
 * (opened non-blocking, so a FIFO is refused instead of waiting for a writer).
 */
function readCheckpointText(file: string): string {
  const cannot = (code: string) =>
    new MamlInputError(`checkpoint ${quote(file)} cannot be read (${code}): expected a file written by 'maml-sine train --out'`, {
      option: 'checkpoint',
      value: file,
    });
  if (typeof file !== 'string' || file === '' || file.includes('\0')) throw cannot('EINVAL');
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw cannot(errnoOf(err));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) bad(file, `it is ${kindOf(st)}, expected a regular file`);
    const cap = LIMITS.checkpointBytes;
    if (st.size > cap) bad(file, `it has ${st.size} bytes, expected at most ${cap} (the checkpoint size limit)`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, cap + 1 - total) || 1);
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        throw cannot(errnoOf(err));
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > cap) bad(file, `it has more than ${cap} bytes (the checkpoint size limit)`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, total));
    } catch {
      bad(file, 'it is not UTF-8 text');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws unless the parsed JSON nests at most LIMITS.jsonDepth levels (iterative: no recursion). */
function checkDepth(file: string, value: unknown): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > LIMITS.jsonDepth) bad(file, `it nests deeper than ${LIMITS.jsonDepth} levels (a checkpoint has 4)`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

const SEMVER = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-[0-9A-Za-z.-]{1,40})?$/;

/**
 * The version policy. A checkpoint records the library version that wrote it. Versions follow
 * semver: a checkpoint from a compatible version (same major; for 0.x the same minor, as
 * npm's caret ranges) loads with a warning when the versions differ, since training or
 * evaluation code may have changed in between; an incompatible, missing or malformed version
 * is refused. (Readability of the file itself is decided by its `format`.)
 * Returns the warning, or null when the versions are equal.
 */
export function checkLibraryVersion(file: string, stored: unknown, current: string = LIBRARY_VERSION): string | null {
  if (typeof stored !== 'string' || !SEMVER.test(stored)) {
    bad(file, `libraryVersion = ${show(stored)}, expected a version like "${current}"`);
  }
  if (stored === current) return null;
  const [, smaj, smin] = SEMVER.exec(stored)!;
  const [, cmaj, cmin] = SEMVER.exec(current)!;
  const compatible = smaj === cmaj && (cmaj !== '0' || smin === cmin);
  const range = cmaj === '0' ? `0.${cmin}.x` : `${cmaj}.x`;
  if (!compatible) {
    bad(file, `it was written by maml-sine ${stored}, expected a checkpoint of a compatible version (${range}, this is ${current}); retrain it`);
  }
  return `checkpoint ${quote(file)} was written by maml-sine ${stored}, this is ${current}: loaded (compatible), but results may differ from those of ${stored}`;
}

/** The first field where two JSON values differ, as a path (or null when they are equal). */
function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : at;
}

function lookup(value: unknown, pathText: string): unknown {
  const parts = pathText.replace(/\[(\d+)\]/g, '.$1').split('.').slice(1);
  let v = value;
  for (const p of parts) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** Reads and checks a checkpoint file; anything wrong with it is a MamlInputError naming the file. */
export function loadCheckpoint(file: string): Checkpoint {
  const text = readCheckpointText(file);
  let body: any;
  try {
    body = JSON.parse(text);
  } catch (err) {
    bad(file, `not valid JSON (${(err as Error).message.slice(0, 120)}); it may be truncated`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad(file, 'expected a JSON object');
  checkDepth(file, body);
  if (body.format !== CHECKPOINT_FORMAT) bad(file, `format = ${show(body.format)}, expected "${CHECKPOINT_FORMAT}"`);
  // a format fixes its fields: a new field means a new format
  const unknown = Object.keys(body).find((k) => !CHECKPOINT_FIELDS.includes(k));
  if (unknown !== undefined) bad(file, `${quote(unknown, 40)} is not a field of ${CHECKPOINT_FORMAT}`);
  if (body.createdAt !== undefined && (typeof body.createdAt !== 'string' || body.createdAt.length > 40)) {
    bad(file, `createdAt = ${show(body.createdAt)}, expected an ISO date string`);
  }
  const warnings: string[] = [];
  const versionWarning = checkLibraryVersion(file, body.libraryVersion);
  if (versionWarning) warnings.push(versionWarning);
  if (body.config === null || typeof body.config !== 'object' || Array.isArray(body.config)) bad(file, `config = ${show(body.config)}, expected an object`);
  // before resolving: a crafted layerSizes of millions of 1s would build millions of layers
  const sizes = body.config.layerSizes;
  if (Array.isArray(sizes) && sizes.length > LIMITS.layers) {
    bad(file, `its config: layerSizes has ${sizes.length} entries, expected at most ${LIMITS.layers} layers`);
  }
  let config: TrainConfig;
  try {
    config = resolveTrainConfig(body.config);
    checkTrainLimits(config);
  } catch (err) {
    if (!(err instanceof MamlInputError)) throw err;
    bad(file, `its config: ${err.message}`);
  }
  // a saved config is complete: nothing may be missing (filled by a default) or unknown
  const diff = firstDifference(body.config, config, 'config');
  if (diff) {
    const stored = lookup(body.config, diff);
    bad(file, stored === undefined ? `${diff} is missing` : lookup(config, diff) === undefined ? `${diff} is not a config field` : `${diff} = ${show(stored)} is not a resolved value`);
  }
  const layout = paramLayout(config.layerSizes);
  if (!Array.isArray(body.layerSizes) || firstDifference(body.layerSizes, layout.layerSizes, '') !== null) {
    bad(file, `layerSizes = ${show(body.layerSizes)} do not match its config's [${layout.layerSizes}]`);
  }
  if (!Array.isArray(body.replicas) || body.replicas.length !== config.replicas) {
    bad(file, `expected ${config.replicas} replicas, found ${Array.isArray(body.replicas) ? body.replicas.length : show(body.replicas)}`);
  }
  const replicas = (body.replicas as unknown[]).map((named, i) => {
    if (named === null || typeof named !== 'object' || Array.isArray(named)) bad(file, `replicas[${i}] = ${show(named)}, expected an object of named arrays`);
    try {
      return fromNamedArrays(named as Record<string, unknown>, storageLayout(config), `replicas[${i}]`);
    } catch (err) {
      bad(file, (err as Error).message);
    }
  });
  const training = body.training ?? {};
  if (training === null || typeof training !== 'object' || Array.isArray(training)) bad(file, `training = ${show(training)}, expected an object`);
  const history = training.history ?? [];
  if (!Array.isArray(history) || history.length > config.replicas) bad(file, `training.history = ${show(history)}, expected at most ${config.replicas} rows`);
  history.forEach((row: unknown, r: number) => {
    if (!Array.isArray(row) || row.length > config.epochs || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      bad(file, `training.history[${r}] = ${show(row)}, expected at most ${config.epochs} finite losses`);
    }
  });
  const elapsedMs = training.elapsedMs ?? NaN;
  if (typeof elapsedMs !== 'number' || elapsedMs < 0) bad(file, `training.elapsedMs = ${show(training.elapsedMs)}, expected a duration in ms`);
  return { config, layout, replicas, libraryVersion: body.libraryVersion, history, elapsedMs, warnings };
}

/** JSON with object keys sorted at every level, so equal configs give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** A short stable key for a training config, for caching checkpoints by what they contain. */
export function configKey(config: TrainConfig): string {
  return createHash('sha256').update(`${LIBRARY_VERSION}|${canonicalJson(config)}`).digest('hex').slice(0, 12);
}
