/**
 * Bounds for what a test opens and closes, so a hang anywhere ends as a failure with a name instead of
 * a CI run that stops at its time limit. Tests set their own `timeout`; hooks and shutdowns use these.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** An `after`/`afterEach` hook that stops a harness or a fleet: worker drain, then server teardown. */
export const STOP_HOOK_OPTIONS = { timeout: 60_000 } as const;
/** A `before` hook that starts a server and workers (a cold CI machine under load is slow). */
export const START_HOOK_OPTIONS = { timeout: 300_000 } as const;

export class BoundExceeded extends Error {
  override name = 'BoundExceeded';
}

/** `work`, or a BoundExceeded naming `what` once `ms` have passed. */
export async function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BoundExceeded(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll `predicate` every 50 ms until it holds; fail naming `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new BoundExceeded(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Gates that hold a stubbed step until the test releases them. The harness releases every gate when
 * a test ends (pass or fail) and when it stops, so a failed assertion never leaves a step, and with it
 * the worker's shutdown, waiting forever.
 */
export class Gates {
  private readonly held = new Map<string, { promise: Promise<void>; release: () => void }>();

  /** Close the gate for `key`; returns its release. */
  hold(key: string): () => void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    const gate = { promise, release };
    this.held.set(key, gate);
    return () => {
      gate.release();
      if (this.held.get(key) === gate) this.held.delete(key);
    };
  }

  /** What a stub awaits: resolves at once when no gate is held for `key`. */
  wait(key: string): Promise<void> {
    return this.held.get(key)?.promise ?? Promise.resolve();
  }

  releaseAll(): void {
    for (const gate of this.held.values()) gate.release();
    this.held.clear();
  }
}
