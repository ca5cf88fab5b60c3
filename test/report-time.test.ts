/**
 * bench/report-time.ts refuses bad arguments with one line and exit code 2, before it probes or
 * runs anything (a real run takes minutes: it is measured, not tested).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, '..', 'bench', 'report-time.ts');

for (const [args, message] of [
  [['--runs', '0'], '--runs "0": expected a whole number of report runs, 1 or more'],
  [['--runs', '2.5'], '--runs "2.5": expected a whole number of report runs, 1 or more'],
  [['--runs'], '--runs "": expected a whole number of report runs, 1 or more'],
  [['--fast'], 'unknown argument "--fast": expected --runs N'],
] as const) {
  test(`bench:report ${args.join(' ')}: exit 2, one line, nothing run`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `bench:report: ${message}\n`);
    assert.equal(r.stdout, ''); // the header comes after the arguments are read, before any run
  });
}
