/** The CLI in this process with fake streams, and the shape of a refusal: shared by the CLI tests. */
import * as assert from 'node:assert/strict';
import { run } from '../lib/cli';

/** Runs a command line in this process; returns its exit code and what it wrote. */
export async function runCli(args: string[], isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s), isTTY } });
  return { code, stdout, stderr };
}

/** Exit 2 with exactly one line on stderr, matching `pattern`, and nothing on stdout. */
export async function refused(args: string[], pattern: RegExp) {
  const r = await runCli(args);
  const what = `maml-sine ${args.join(' ')}: exit ${r.code}\n${r.stderr}`;
  assert.equal(r.code, 2, what);
  assert.match(r.stderr, pattern, what);
  assert.match(r.stderr, /^maml-sine: [^\n]*\n$/, `one line: ${what}`);
  assert.equal(r.stdout, '');
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(r.stderr.slice(0, -1), /[\u0000-\u001f\u007f-\u009f]/, 'no raw control bytes');
  return r;
}
