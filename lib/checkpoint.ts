/**
 * Checkpoints: trained parameters (every replica) with the config, seed and library version,
 * as JSON written atomically (temp file + rename), so an interrupted save never leaves a
 * half-written file where a good one was.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromNamedArrays, ParamLayout, paramLayout, toNamedArrays } from './params';
import { resolveTrainConfig, TrainConfig, TrainResult } from './train';
import { LIBRARY_VERSION } from './version';
import { MamlInputError } from './validate';

export const CHECKPOINT_FORMAT = 'maml-sine/checkpoint@1';

export interface Checkpoint {
  config: TrainConfig;
  layout: ParamLayout;
  replicas: Float64Array[];
  libraryVersion: string;
  history: number[][];
  elapsedMs: number;
}

/**
 * How a model's meta-parameters are stored: the weights by name, and for Meta-SGD also its
 * learned learning rates as `innerLr.<name>`.
 */
export function storageLayout(config: Pick<TrainConfig, 'algo' | 'layerSizes'>): ParamLayout {
  const layout = paramLayout(config.layerSizes);
  if (config.algo !== 'metasgd') return layout;
  const lrs = layout.entries.map((e) => ({ ...e, name: `innerLr.${e.name}`, offset: e.offset + layout.size }));
  return { ...layout, entries: [...layout.entries, ...lrs], size: 2 * layout.size };
}

/** Write `text` to `file` atomically: a sibling temp file, fsync, then rename over the target. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function saveCheckpoint(file: string, result: Pick<TrainResult, 'config' | 'layout' | 'replicas'> & Partial<Pick<TrainResult, 'history' | 'elapsedMs'>>): void {
  const body = {
    format: CHECKPOINT_FORMAT,
    libraryVersion: LIBRARY_VERSION,
    createdAt: new Date().toISOString(),
    config: result.config,
    layerSizes: result.layout.layerSizes,
    training: { history: result.history ?? [], elapsedMs: result.elapsedMs ?? null },
    replicas: result.replicas.map((theta) => toNamedArrays(theta, storageLayout(result.config))),
  };
  writeFileAtomic(file, JSON.stringify(body));
}

function bad(file: string, what: string): never {
  throw new MamlInputError(`checkpoint ${file} is invalid: ${what}`);
}

export function loadCheckpoint(file: string): Checkpoint {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MamlInputError(`checkpoint ${file} cannot be read (${code ?? String(err)}): expected a file written by 'maml-sine train --out'`);
  }
  let body: any;
  try {
    body = JSON.parse(text);
  } catch (err) {
    bad(file, `not valid JSON (${(err as Error).message}); it may be truncated`);
  }
  if (body === null || typeof body !== 'object') bad(file, 'expected a JSON object');
  if (body.format !== CHECKPOINT_FORMAT) bad(file, `format = ${JSON.stringify(body.format)}, expected "${CHECKPOINT_FORMAT}"`);
  let config: TrainConfig;
  try {
    config = resolveTrainConfig(body.config);
  } catch (err) {
    bad(file, `its config: ${(err as Error).message}`);
  }
  const layout = paramLayout(config.layerSizes);
  if (JSON.stringify(body.layerSizes) !== JSON.stringify(layout.layerSizes)) {
    bad(file, `layerSizes = ${JSON.stringify(body.layerSizes)} do not match its config's [${layout.layerSizes}]`);
  }
  if (!Array.isArray(body.replicas) || body.replicas.length !== config.replicas) {
    bad(file, `expected ${config.replicas} replicas, found ${Array.isArray(body.replicas) ? body.replicas.length : typeof body.replicas}`);
  }
  const replicas = (body.replicas as Record<string, unknown>[]).map((named, i) => {
    try {
      return fromNamedArrays(named, storageLayout(config), `replicas[${i}]`);
    } catch (err) {
      bad(file, (err as Error).message);
    }
  });
  return {
    config,
    layout,
    replicas,
    libraryVersion: String(body.libraryVersion),
    history: Array.isArray(body.training?.history) ? body.training.history : [],
    elapsedMs: Number(body.training?.elapsedMs ?? NaN),
  };
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
