/**
 * `npm run generate -- <pipeline> --from <key> --to <key> [--rows N] [--files N] [--fault KEY=KIND[:N]] ...`
 *
 * Writes sample landing files for a pipeline, with its own folder's generator (`pipelines/<name>/generate.ts`,
 * or a team's folder under CONVEYOR_PIPELINES_DIR). Keys are in the pipeline's scheme (days for
 * orders, hours for clickstream). Faults are the generator's own (orders: malformed, duplicates,
 * no-marker, flaky:N; clickstream: malformed, no-marker).
 */
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../platform/config';
import { landingOf } from '../landing/landing-zone';
import { partitionSchemeOf } from '../definitions/definition';
import type { GeneratorFault } from '../definitions/generator';
import { assertPartitionKey, deploymentRegistry, generatorOf } from '../definitions/registry';
import { InputError } from '../common/errors';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption } from '../common/options';

const MAX_PARTITIONS = 20_000;

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run generate --')
    .description('Write sample landing files for a pipeline, with its folder\'s generator.')
    .argument('[pipeline]', 'the pipeline (default: orders)', 'orders')
    .requiredOption('--from <key>', 'first partition, in the pipeline\'s scheme (e.g. 2024-01-01, 2024-01-01T05)')
    .requiredOption('--to <key>', 'last partition')
    .option('--pipeline <name>', 'the pipeline (same as the argument)')
    .option('--rows <n>', 'rows per partition (the generator\'s default when left out)')
    .option('--files <n>', 'files per partition')
    .option('--fault <key=kind>', 'inject a fault (repeatable); kind[:N] for faults that take a number', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ from: string; to: string; pipeline?: string; rows?: string; files?: string; fault: string[] }>();
  const name = opts.pipeline ?? (program.processedArgs[0] as string);

  const registry = deploymentRegistry();
  const pipeline = registry.get(name);
  const generator = generatorOf(registry, name);
  assertPartitionKey(pipeline, opts.from, '--from');
  assertPartitionKey(pipeline, opts.to, '--to');
  const scheme = partitionSchemeOf(pipeline);
  const count = scheme.count(opts.from, opts.to);
  if (scheme.indexOf(opts.from)! > scheme.indexOf(opts.to)!) throw new InputError(`--from ${opts.from} is after --to ${opts.to}`);
  if (count > MAX_PARTITIONS) throw new InputError(`--from ${opts.from} --to ${opts.to} is ${count} partitions: at most ${MAX_PARTITIONS} at once`);
  const rows = opts.rows === undefined ? undefined : parseOption('--rows', intInRange(1, 10_000_000), opts.rows);
  const files = opts.files === undefined ? undefined : parseOption('--files', intInRange(1, 100), opts.files);
  const faults = opts.fault.map((spec) => {
    const match = /^([^=]+)=([a-z-]+)(?::(\d+))?$/.exec(spec);
    if (!match || !generator.faults.includes(match[2]!)) {
      throw new InputError(`invalid --fault "${spec}": expected KEY=KIND with KIND one of ${generator.faults.join(', ')}`);
    }
    assertPartitionKey(pipeline, match[1]!, '--fault key');
    return { partition: match[1]!, fault: { kind: match[2]!, count: match[3] ? Number(match[3]) : undefined } as GeneratorFault };
  });

  const landing = landingOf(loadConfig());
  let total = 0;
  for (const partition of scheme.range(opts.from, opts.to)) {
    const mine = faults.filter((f) => f.partition === partition).map((f) => f.fault);
    const result = await generator.generate({ landingDir: landing.root, partition, rows, files, faults: mine });
    // A landing zone in S3: the files generated into its local cache go up, the marker last.
    await landing.pushFolder(result.dir, pipeline.source.kind === 'files' ? pipeline.source.marker : undefined);
    total += result.rowsWritten;
    const note = mine.length ? ` (faults: ${mine.map((f) => f.kind + (f.count ? `:${f.count}` : '')).join(', ')})` : '';
    console.error(`${partition}: ${result.rowsWritten} rows → ${landing.shown(result.dir)}${note}`);
  }
  console.error(`generated ${count} partition(s) of ${name}, ${total} rows`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor generate')(err);
});
