/**
 * What `npm run bench` measures and records: its sections, the servers it measures on, and the figures
 * (median, min and max of a few samples) its results JSON and table are made of.
 */
import { median, round } from './measure';

export const SECTIONS = ['ceiling', 'backfill', 'hourly', 'real', 'formats', 'workers', 'isolation', 'many', 'scale', 'kinds'] as const;
export type Section = (typeof SECTIONS)[number];
/** Sections a plain `npm run bench` runs: every one but scale (50,000 partitions take most of half an hour on 2 cores). */
/** scale takes long; kinds needs the Python environment (npm run python-env): both only when asked for. */
export const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== 'scale' && s !== 'kinds');

/** What a figure was measured on: the dev server, the cluster, or the dev server with the lake in S3. */
export type ServerKind = 'dev' | 'cluster' | 's3';

export interface Figure {
  server: ServerKind;
  section: string;
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export const REAL_ROWS_PER_S = 'orders backfill: rows through ingest → transform → publish';
export const S3_OVER_FOLDER = 'S3 lake / folder lake rows/s';
/** Whose CPU is measured, per item of work (database: only on the cluster; S3 server: only with the lake in S3). */
export const CPU_OF = ['server', 'database', 'S3 server', 'worker', 'client'] as const;
export type CpuOf = (typeof CPU_OF)[number];

/** The bench's progress and figures as it goes, on stderr (the table goes to stdout). */
export const say = (line: string): void => console.error(line);

/** A figure of `samples`: their median, min and max, each rounded as the results JSON holds them. */
export function figureOf(server: ServerKind, section: string, name: string, unit: string, samples: number[]): Figure {
  const figure = { section, name, unit, median: round(median(samples)), min: round(Math.min(...samples)), max: round(Math.max(...samples)), samples: samples.map((s) => round(s)) };
  return { ...figure, server };
}

/** The figures of one section on one server, each said as it is recorded. */
export class SectionFigures {
  readonly figures: Figure[] = [];

  constructor(
    private readonly server: ServerKind,
    private readonly section: string,
  ) {}

  record(name: string, unit: string, samples: number[]): void {
    const figure = figureOf(this.server, this.section, name, unit, samples);
    this.figures.push(figure);
    say(`  ${name}: ${figure.median} ${unit} (min ${figure.min}, max ${figure.max})`);
  }

  /** One figure per process whose CPU `samples` measured (in {@link CPU_OF}'s order), named by `label(who)`. */
  recordCpu(samples: Partial<Record<CpuOf, number>>[], label: (who: CpuOf) => string): void {
    for (const who of CPU_OF.filter((w) => samples[0]![w] !== undefined)) this.record(label(who), 'ms', samples.map((s) => s[who]!));
  }
}

/** Server (+ database) + worker CPU: the orchestration cost of a partition, or of a ceiling workflow. */
export const orchestrationCpu = (cpu: Partial<Record<CpuOf, number>>): number => (cpu.server ?? 0) + (cpu.database ?? 0) + (cpu.worker ?? 0);
