/**
 * Temporary folders for tests, removed when the test process exits (pass or fail), so a test run
 * leaves nothing in the temporary directory. MAML_KEEP_TEST_FILES=1 keeps them, to look inside
 * after a failure; their paths are printed then.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/** A fresh folder under the system's temporary directory, named `prefix` + six random characters. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

process.on('exit', () => {
  if (process.env.MAML_KEEP_TEST_FILES === '1') {
    for (const dir of made) process.stderr.write(`kept ${dir}\n`);
    return;
  }
  for (const dir of made) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      // a folder still in use (a mount a failed test left behind) stays, and says so
      process.stderr.write(`could not remove ${dir}: ${(e as Error).message}\n`);
    }
  }
});
