/** Processes a test watches: the PIDs a transform wrote to a file once it started, and whether one still runs. */
import assert from 'node:assert/strict';
import fs from 'node:fs';

/** Whether process `pid` still runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PIDs (space-separated) a transform writes to `file` once it runs: waited for up to `ms`. */
export async function pidsFrom(file: string, ms = 60_000): Promise<number[]> {
  for (let waited = 0; !fs.existsSync(file); waited += 200) {
    assert.ok(waited < ms, `nothing wrote ${file} within ${ms / 1000} s: the transform did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
}
