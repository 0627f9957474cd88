/**
 * `conveyor graph [--mermaid]`: the pipelines, their owners, partition schemes, schedules, sources,
 * dependencies and stale downstream partitions (read from the lake), as text or a Mermaid flowchart.
 */
import type { Command } from 'commander';
import { stalePartitions } from '../../client/lake';
import { describeScheduleAt } from '../../common/schedule-at';
import { partitionSchemeOf, upstreamOf, type PipelineDefinition } from '../../definitions/definition';
import type { PipelineRegistry } from '../../definitions/registry';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('graph')
    .summary("pipelines, owners, schedules, dependencies, stale partitions")
    .description('The pipelines: owners, partition schemes, schedules, sources, dependencies and stale downstream partitions.')
    .option('--mermaid', 'print a Mermaid flowchart (for docs)')
    .addHelpText('after', examples('npx conveyor graph', 'npx conveyor graph --mermaid > docs/pipelines.mmd'))
    .action(async (opts: { mermaid?: boolean }) => {
      const { registry, config } = ctx; // a bad definition or environment: refused here, in one line
      if (opts.mermaid) return console.log(graphMermaid(registry));
      let stale = new Map<string, string[]>();
      let staleUnknown: string | undefined;
      try {
        stale = await stalePartitions(config, registry);
      } catch (err) {
        staleUnknown = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      }
      console.log(graphText(registry, stale, staleUnknown));
    });
}

const cadenceOf = (p: PipelineDefinition) => describeScheduleAt(p.partitions.kind, p.schedule.at);

/** "hourly from 2024-01-01T00, each available 1 hour(s) after it starts" / "static keys: eu, us, apac". */
function partitionsOf(p: PipelineDefinition): string {
  const s = p.partitions;
  if (s.kind === 'static') return `static keys (${s.keys.length}): ${s.keys.join(', ')}`;
  return `${s.kind} from ${s.first}; a partition is available ${s.lag} ${partitionSchemeOf(p).unit}(s) after it starts`;
}

/** "files (csv /^part-\d+\.csv$/, marker _SUCCESS)" / "upstream orders (same), clickstream (covering, shift -24)". */
function sourceOf(p: PipelineDefinition): string {
  const s = p.source;
  if (s.kind === 'files') return `files (${s.format} ${s.filePattern}, marker ${s.marker})`;
  if (s.kind === 'function') return `function ${s.rows.name || '(anonymous)'} (columns ${s.columns.join(', ')})`;
  const mapping = (i: (typeof s.inputs)[number]) => `${i.mapping.kind}${i.mapping.kind === 'window' ? ` ${i.mapping.partitions}` : ''}${i.shift ? `, shift ${i.shift}` : ''}`;
  return `upstream ${s.inputs.map((i) => `${i.pipeline}${i.as ? ` as ${i.as}` : ''} (${mapping(i)})`).join(', ')}`;
}

function staleLine(p: PipelineDefinition, stale: Map<string, string[]>, staleUnknown: string | undefined): string[] {
  if (upstreamOf(p).length === 0) return [];
  if (staleUnknown) return [`  stale:      unknown (the lake could not be read: ${staleUnknown})`];
  const keys = stale.get(p.name) ?? [];
  if (keys.length === 0) return ['  stale:      none'];
  const shown = `${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}`;
  return [`  stale:      ${keys.length} partition(s) read an upstream partition since republished: ${shown} (rerun them; meta.stale_partitions)`];
}

export function graphText(registry: PipelineRegistry, stale: Map<string, string[]> = new Map(), staleUnknown?: string): string {
  return [...registry.all()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((p) => [
      `${p.name}  (${p.description})`,
      `  owner:      ${p.owner}`,
      `  partitions: ${partitionsOf(p)}; freshness objective ${p.freshnessObjectiveHours} h`,
      `  schedule:   ${cadenceOf(p)}, catch-up ${p.schedule.catchupWindowDays} day(s), overlap ${p.schedule.overlap}`,
      `  source:     ${sourceOf(p)}`,
      `  upstream:   ${upstreamOf(p).join(', ') || '-'}`,
      `  downstream: ${registry.downstreamOf(p.name).join(', ') || '-'}`,
      ...staleLine(p, stale, staleUnknown),
    ])
    .join('\n');
}

export function graphMermaid(registry: PipelineRegistry): string {
  const pipelines = [...registry.all()].sort((a, b) => a.name.localeCompare(b.name));
  const nodes = pipelines.map((p) => `  ${p.name}["<b>${p.name}</b><br/>${p.owner}<br/>${cadenceOf(p)}<br/>catch-up ${p.schedule.catchupWindowDays}d, overlap ${p.schedule.overlap}"]`);
  const edges = pipelines.flatMap((p) => upstreamOf(p).map((upstream) => `  ${upstream} --> ${p.name}`));
  return ['flowchart LR', ...nodes, ...edges].join('\n');
}
