/** `conveyor generate <pipeline> --from <key> --to <key>`: sample landing files, from the pipeline folder's generator. */
import type { Command } from 'commander';
import { landSample } from '../../client/sample-data';
import { intInRange, parseOption } from '../../common/options';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('generate')
    .summary("land sample files from a pipeline's generator")
    .description("Write sample landing files for a pipeline with its folder's generator (generate.ts), the marker last.")
    .argument('[pipeline]', 'the pipeline', 'orders')
    .requiredOption('--from <key>', "first partition, in the pipeline's scheme (e.g. 2024-01-01, 2024-01-01T05)")
    .requiredOption('--to <key>', 'last partition')
    .option('--pipeline <name>', 'the pipeline (same as the argument)')
    .option('--rows <n>', "rows per partition (the generator's default when left out)")
    .option('--files <n>', 'files per partition')
    .option('--fault <key=kind>', "inject one of the generator's faults (repeatable); kind:N for faults that take a number", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addHelpText('after', examples('npx conveyor generate orders --from 2024-03-01 --to 2024-03-07', 'npx conveyor generate orders --from 2024-03-01 --to 2024-03-01 --fault 2024-03-01=malformed'))
    .action(async (name: string, opts: { from: string; to: string; pipeline?: string; rows?: string; files?: string; fault: string[] }) => {
      const request = {
        pipeline: opts.pipeline ?? name,
        from: opts.from,
        to: opts.to,
        rows: opts.rows === undefined ? undefined : parseOption('--rows', intInRange(1, 10_000_000), opts.rows),
        files: opts.files === undefined ? undefined : parseOption('--files', intInRange(1, 100), opts.files),
        faults: opts.fault,
      };
      const done = await landSample(ctx.deployment, request, ({ partition, rows, shown, faults }) => {
        const note = faults.length ? ` (faults: ${faults.map((f) => f.kind + (f.count ? `:${f.count}` : '')).join(', ')})` : '';
        console.error(`${partition}: ${rows} rows → ${shown}${note}`);
      });
      console.error(`generated ${done.partitions} partition(s) of ${request.pipeline}, ${done.rows} rows`);
    });
}
