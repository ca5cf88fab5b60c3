'use strict';
/**
 * The tslab kernel, started from a V8 startup snapshot that holds TypeScript with the declaration
 * files the notebooks reach already parsed and bound.
 *
 *   node scripts/kernel-snapshot.cjs build    (npm ci's postinstall, bash scripts/setup.sh)
 *
 * Why: every notebook starts a fresh kernel, and tslab's first program parsed ~800 files
 * (TypeScript's lib, @types/node, tfjs's and danfo's declarations, lib/) before the first cell:
 * ~1.3 s of CPU at start and ~0.5-1 s more in the cells that import the library and tfjs, in
 * every kernel (11 in a report). From the snapshot a kernel finds those SourceFiles in memory.
 *
 * How: `build` runs `node --snapshot-blob BLOB --build-snapshot` on this file. The builder loads
 * tslab's TypeScript (@tslab/typescript-for-tslab) from its source with one change: its
 * createSourceFile first asks a cache. It then builds a program with tslab's compiler options
 * over the imports of every notebook's code cells and binds it, and keeps every SourceFile the
 * program made. In a kernel (scripts/tslab-kernel runs `node --snapshot-blob BLOB kernel ...`)
 * the deserialized main function registers that TypeScript as tslab's, and starts tslab.
 *
 * A cached SourceFile is returned only for the same file name, the same options and the same
 * text, character for character: a file changed since the build (an edited lib/ file, a rebuilt
 * wasm module) is parsed afresh, as without the snapshot. The blob is written to a temporary
 * name and renamed, with a stamp (the project's physical folder and the Node version);
 * scripts/tslab-kernel uses it only when the stamp matches, else it starts tslab as before.
 */
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const root = path.resolve(__dirname, '..');
const TS_PACKAGE = path.join(root, 'node_modules', '@tslab', 'typescript-for-tslab');
const TS_FILE = path.join(TS_PACKAGE, 'lib', 'typescript.js');
const TSLAB_MAIN = path.join(root, 'node_modules', 'tslab', 'dist', 'main.js');
const TSLAB_BIN = path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
/** Where the blob goes (MAML_KERNEL_SNAPSHOT overrides it; empty: no snapshot). */
const BLOB = process.env.MAML_KERNEL_SNAPSHOT !== undefined ? process.env.MAML_KERNEL_SNAPSHOT
  : path.join(root, 'node_modules', '.cache', 'maml-sine', 'tslab-kernel.blob');
/** The root file of the builder's program: its name is never cached. */
const ROOT_NAME = '__kernel_snapshot__.ts';

function tsVersion() {
  return JSON.parse(fs.readFileSync(path.join(TS_PACKAGE, 'package.json'), 'utf8')).version;
}

/** What the blob was built for: scripts/tslab-kernel compares it with `$root $(node --version)`. */
function stamp() {
  return `${root} ${process.version}`;
}

/**
 * The cache createSourceFile asks: recording while the builder's program is made, then serving
 * a SourceFile only when file name, options and text are all the same.
 */
function sourceFileCache() {
  const files = new Map();
  const stats = { hits: 0, misses: 0, missed: [] };
  let recording = true;
  const key = (fileName, options, setParentNodes, scriptKind) => {
    const o = typeof options === 'object' && options !== null ? options : { languageVersion: options };
    // setExternalModuleIndicator is one of a few closures (which one depends on the options): its source names it
    return [fileName, o.languageVersion, o.impliedNodeFormat, o.jsDocParsingMode,
      o.setExternalModuleIndicator ? String(o.setExternalModuleIndicator) : '', setParentNodes, scriptKind].join('\0');
  };
  return {
    stats,
    size: () => files.size,
    stopRecording() {
      recording = false;
    },
    /** The cached SourceFile, or undefined (then createSourceFile parses as usual). */
    lookup(fileName, text, options, setParentNodes, scriptKind, parse) {
      if (recording) {
        const file = parse(fileName, text, options, setParentNodes, scriptKind);
        if (path.basename(fileName) !== ROOT_NAME) files.set(key(fileName, options, setParentNodes, scriptKind), file);
        return file;
      }
      const file = files.get(key(fileName, options, setParentNodes, scriptKind));
      if (file !== undefined && file.text === text) {
        stats.hits++;
        return file;
      }
      stats.misses++;
      if (stats.missed.length < 100) stats.missed.push(fileName);
      return undefined;
    },
  };
}

/** tslab's TypeScript, evaluated from its source with createSourceFile asking `globalThis.__mamlSourceFiles` first. */
function loadTypeScript() {
  const HEAD = '  function createSourceFile(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {';
  const source = fs.readFileSync(TS_FILE, 'utf8');
  if (source.split(HEAD).length !== 2) throw new Error(`${TS_FILE}: expected one definition of createSourceFile (TypeScript ${tsVersion()})`);
  const patched = source.replace(HEAD, `${HEAD}
    const cache = globalThis.__mamlSourceFiles;
    const cached = cache === undefined ? undefined : cache.lookup(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind, parseSourceFile__maml);
    return cached !== undefined ? cached : parseSourceFile__maml(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind);
  }
  function parseSourceFile__maml(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {`);
  const module = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', '__dirname', patched)(module, module.exports, require, TS_FILE, path.dirname(TS_FILE));
  return module.exports;
}

/** The import lines of every notebook's code cells: the builder's program imports what the notebooks do. */
function notebookImports() {
  const dir = path.join(root, 'notebooks');
  const lines = new Set();
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    for (const cell of nb.cells) {
      if (cell.cell_type !== 'code') continue;
      const text = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      for (const line of text.split('\n')) if (/^import\s.*\sfrom\s+'[^']+';?\s*$/.test(line)) lines.add(line.trim());
    }
  }
  // each import under its own names (two cells may import different things under one name)
  return [...lines].map((line, i) => line.replace(/^import\s.*\sfrom\s+/, `import * as __import${i} from `)).join('\n') + '\n';
}

/** In the snapshot builder: TypeScript, the program's SourceFiles, and the kernel's main function. */
function buildSnapshot() {
  const cache = sourceFileCache();
  globalThis.__mamlSourceFiles = cache;
  const ts = loadTypeScript();
  const cwd = path.join(root, 'notebooks');
  const rootFile = path.join(cwd, ROOT_NAME);
  const rootText = notebookImports();
  // tslab's options (node_modules/tslab/dist/converter.js, createConverter) for Node >= 18
  const options = {
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true,
    target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], declaration: true, newLine: ts.NewLineKind.LineFeed,
    noImplicitUseStrict: true, experimentalDecorators: true, resolveJsonModule: true, jsx: ts.JsxEmit.React,
    typeRoots: ts.getDefaultTypeRoots(cwd, { directoryExists: ts.sys.directoryExists }),
    allowJs: true, checkJs: true, skipLibCheck: true, rootDir: cwd, outDir: 'outDir',
  };
  const host = ts.createCompilerHost(options);
  const { readFile, fileExists } = host;
  host.readFile = (f) => (f === rootFile ? rootText : readFile(f));
  host.fileExists = (f) => f === rootFile || fileExists(f);
  host.getCurrentDirectory = () => cwd;
  const program = ts.createProgram([rootFile], options, host);
  const rootSource = program.getSourceFile(rootFile);
  // the root file's own errors (an import that does not resolve); tslab ignores option diagnostics
  const problems = [...program.getSyntacticDiagnostics(rootSource), ...program.getSemanticDiagnostics(rootSource)];
  if (problems.length > 0) {
    throw new Error(`the notebooks' imports do not type-check: ${ts.flattenDiagnosticMessageText(problems[0].messageText, '\n')}`);
  }
  program.getTypeChecker(); // binds every file: a bound SourceFile is not bound again
  cache.stopRecording();
  const built = { tsVersion: tsVersion(), files: cache.size() };
  console.log(`kernel snapshot: ${built.files} source files`);
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    const Module = require('module');
    // tslab's require('@tslab/typescript-for-tslab') gets this TypeScript, unless the package changed since the build
    if (fs.existsSync(TS_FILE) && tsVersion() === built.tsVersion) {
      const m = new Module(TS_FILE, null);
      m.filename = TS_FILE;
      m.loaded = true;
      m.exports = ts;
      m.paths = Module._nodeModulePaths(path.dirname(TS_FILE));
      Module._cache[TS_FILE] = m;
    } else {
      globalThis.__mamlSourceFiles = undefined;
    }
    process.argv = [process.execPath, TSLAB_BIN, ...process.argv.slice(1)];
    Module.createRequire(TSLAB_MAIN)(TSLAB_MAIN).main();
  });
}

/** Free space where `file` is, counting the space `file` (a partial write) takes. */
function freeMB(file) {
  const fsStats = fs.statfsSync(path.dirname(file));
  const partial = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return ((fsStats.bavail * fsStats.bsize + partial) / 2 ** 20).toFixed(0);
}

/** `build`: the blob, written under a temporary name and renamed, then its stamp. */
function build() {
  const { spawnSync } = require('child_process');
  if (BLOB === '') return;
  fs.mkdirSync(path.dirname(BLOB), { recursive: true });
  // what a build stopped by Ctrl-C or a full disk left (65 MB each)
  for (const name of fs.readdirSync(path.dirname(BLOB))) {
    if (name.startsWith(`${path.basename(BLOB)}.`) && name.endsWith('.tmp')) fs.rmSync(path.join(path.dirname(BLOB), name), { force: true });
  }
  const tmp = `${BLOB}.${process.pid}.tmp`;
  try {
    const r = spawnSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', __filename], { encoding: 'utf8', cwd: root });
    const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l && !/warning|may still work|issue tracker|trace-warnings|Error.stackTraceLimit/i.test(l));
    if (r.status !== 0 || !fs.existsSync(tmp)) {
      const output = said.join('\n');
      const why = /SnapshotData::ToFile/.test(output)
        ? `writing ${BLOB} failed: ${freeMB(tmp)} MB free there, and the snapshot takes ~65 MB`
        : (said.find((l) => /^\w*Error\b|Assertion failed/.test(l.trim())) ?? said.slice(-3).join(' | ')).trim();
      throw new Error(`node --build-snapshot failed (exit ${r.status ?? r.signal}): ${why}`);
    }
    fs.rmSync(`${BLOB}.stamp`, { force: true });
    fs.renameSync(tmp, BLOB);
    fs.writeFileSync(`${BLOB}.stamp.tmp`, `${stamp()}\n`);
    fs.renameSync(`${BLOB}.stamp.tmp`, `${BLOB}.stamp`);
    console.error(`${said.join('\n')} (${(fs.statSync(BLOB).size / 2 ** 20).toFixed(0)} MB, ${path.relative(root, BLOB)})`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  buildSnapshot();
} else if (require.main === module && process.argv[2] === 'build') {
  try {
    build();
  } catch (err) {
    // the kernel still starts without the snapshot (scripts/tslab-kernel), only slower
    console.error(`kernel snapshot: not built (${err.message}); the tslab kernel will start without it`);
    process.exitCode = process.env.MAML_KERNEL_SNAPSHOT_STRICT ? 1 : 0; // strict: the tests
  }
} else if (require.main === module) {
  console.error(`usage: node scripts/kernel-snapshot.cjs build (got ${JSON.stringify(process.argv.slice(2))})`);
  process.exitCode = 2;
} else {
  module.exports = { sourceFileCache, notebookImports, BLOB, stamp };
}
