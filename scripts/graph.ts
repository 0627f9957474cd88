/**
 * `npm run graph [-- --mermaid]`: the pipelines, their owners, cadences, schedules (catch-up window,
 * overlap policy), dependencies and stale downstream partitions (read from the lake), as text, or
 * as a Mermaid flowchart for docs. Definitions that do
 * not fit together (an unknown upstream, a cycle) are refused when they load, in one line.
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { queryLake } from '../client/lake';
import { loadConfig } from '../platform/config';
import { describeScheduleAt } from '../common/schedule-at';
import { partitionSchemeOf, upstreamOf, type PipelineDefinition } from '../definitions/definition';
import { deploymentRegistry, type PipelineRegistry } from '../definitions/registry';
import { exitOnError } from './lib/cli-errors';

const cadenceOf = (p: PipelineDefinition) => describeScheduleAt(p.partitions.kind, p.schedule.at);

/** "hourly from 2024-01-01T00, each available 1 hour(s) after it starts" / "static keys: eu, us, apac". */
function partitionsOf(p: PipelineDefinition): string {
  const s = p.partitions;
  if (s.kind === 'static') return `static keys (${s.keys.length}): ${s.keys.join(', ')}`;
  const unit = partitionSchemeOf(p).unit;
  return `${s.kind} from ${s.first}; a partition is available ${s.lag} ${unit}(s) after it starts`;
}

/** "files (csv /^part-\d+\.csv$/, marker _SUCCESS)" / "upstream orders (same), clickstream (covering, shift -24)". */
function sourceOf(p: PipelineDefinition): string {
  const s = p.source;
  if (s.kind === 'files') return `files (${s.format} ${s.filePattern}, marker ${s.marker})`;
  if (s.kind === 'function') return `function ${s.rows.name || '(anonymous)'} (columns ${s.columns.join(', ')})`;
  return `upstream ${s.inputs
    .map((i) => `${i.pipeline}${i.as ? ` as ${i.as}` : ''} (${i.mapping.kind}${i.mapping.kind === 'window' ? ` ${i.mapping.partitions}` : ''}${i.shift ? `, shift ${i.shift}` : ''})`)
    .join(', ')}`;
}

export function graphText(registry: PipelineRegistry, stale: Map<string, string[]> = new Map(), staleUnknown?: string): string {
  const lines: string[] = [];
  for (const p of registry.all().sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`${p.name}  (${p.description})`);
    lines.push(`  owner:      ${p.owner}`);
    lines.push(`  partitions: ${partitionsOf(p)}; freshness objective ${p.freshnessObjectiveHours} h`);
    lines.push(`  schedule:   ${cadenceOf(p)}, catch-up ${p.schedule.catchupWindowDays} day(s), overlap ${p.schedule.overlap}`);
    lines.push(`  source:     ${sourceOf(p)}`);
    lines.push(`  upstream:   ${upstreamOf(p).join(', ') || '-'}`);
    lines.push(`  downstream: ${registry.downstreamOf(p.name).join(', ') || '-'}`);
    const staleKeys = stale.get(p.name) ?? [];
    if (upstreamOf(p).length > 0 && staleUnknown) lines.push(`  stale:      unknown (the lake could not be read: ${staleUnknown})`);
    else if (upstreamOf(p).length > 0) {
      lines.push(`  stale:      ${staleKeys.length === 0 ? 'none' : `${staleKeys.length} partition(s) read an upstream partition since republished: ${staleKeys.slice(0, 5).join(', ')}${staleKeys.length > 5 ? ', …' : ''} (rerun them; meta.stale_partitions)`}`);
    }
  }
  return lines.join('\n');
}

export function graphMermaid(registry: PipelineRegistry): string {
  const lines = ['flowchart LR'];
  for (const p of registry.all().sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`  ${p.name}["<b>${p.name}</b><br/>${p.owner}<br/>${cadenceOf(p)}<br/>catch-up ${p.schedule.catchupWindowDays}d, overlap ${p.schedule.overlap}"]`);
  }
  for (const p of registry.all()) for (const upstream of upstreamOf(p)) lines.push(`  ${upstream} --> ${p.name}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run graph --').option('--mermaid', 'print a Mermaid flowchart').exitOverride();
  program.parse(argv, { from: 'user' });
  const registry = deploymentRegistry();
  if (program.opts<{ mermaid?: boolean }>().mermaid) return console.log(graphMermaid(registry));
  // Stale downstream partitions, from the lake (none when there is no lake yet).
  const stale = new Map<string, string[]>();
  const config = loadConfig();
  let staleUnknown: string | undefined;
  if (config.lakeUrl !== undefined || fs.existsSync(config.lakeDir)) {
    try {
      const { rows } = await queryLake(config, 'SELECT pipeline, partition_key FROM meta.stale_partitions ORDER BY 1, 2', registry);
      for (const row of rows) stale.set(String(row.pipeline), [...(stale.get(String(row.pipeline)) ?? []), String(row.partition_key)]);
    } catch (err) {
      staleUnknown = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    }
  }
  console.log(graphText(registry, stale, staleUnknown));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    exitOnError('conveyor graph')(err);
  });
}
