/** Measurement helpers for `npm run bench`: statistics, and CPU and memory of a process read from /proc. */
import fs from 'node:fs';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux we run on

/** CPU seconds (user + system) a process has used so far; NaN where /proc cannot be read (not Linux). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after "(comm) ": state is [0], so utime and stime are [11] and [12].
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds the whole machine has been busy so far (every core: user, system, interrupts; not idle,
 * I/O wait or time stolen by the host): what processes are not charged for, such as the kernel
 * writing dirty pages back, shows here. NaN where /proc cannot be read.
 */
export function machineBusySeconds(): number {
  try {
    const [user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of a process in MiB; NaN where /proc cannot be read. */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every 100 ms to find its peak over a measured stretch. */
export class PeakRss {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  private sample(): void {
    const now = rssMb(this.pid);
    if (now > this.peak) this.peak = now;
  }

  /** Start a new stretch: the peak is the current RSS. */
  reset(): void {
    this.peak = 0;
    this.sample();
  }

  /** The highest RSS seen since the last reset. */
  read(): number {
    this.sample();
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * CPU used by each of several processes over a stretch of work, per item of work, in ms. A process is
 * a pid (its own CPU) or a function reading CPU seconds (e.g. {@link treeCpuSeconds}).
 */
export function cpuMeter(pids: Record<string, number | (() => number)>): { stop(items: number): Record<string, number> } {
  const read = (source: number | (() => number)) => (typeof source === 'number' ? cpuSeconds(source) : source());
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, read(pid)]));
  return {
    stop: (items) =>
      Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ((read(pid) - start[name]!) * 1000) / items])),
  };
}

/**
 * CPU seconds of a process and all its live descendants, plus what its reaped children used: a
 * PostgreSQL server, whose work happens in one backend process per connection.
 */
export function treeCpuSeconds(rootPid: number): number {
  const stats = new Map<number, { ppid: number; cpu: number; children: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
        children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND,
      });
    } catch {
      // exited while listing
    }
  }
  const root = stats.get(rootPid);
  if (!root) return Number.NaN;
  let total = root.cpu + root.children;
  const queue = [rootPid];
  while (queue.length > 0) {
    const parent = queue.pop()!;
    for (const [pid, s] of stats) {
      if (s.ppid !== parent) continue;
      total += s.cpu;
      queue.push(pid);
    }
  }
  return total;
}
