/**
 * Sample hourly click events as JSON lines, deterministic per hour. Faults: `malformed` (one line that
 * is not JSON, one event of an unknown type), `no-marker` (the hour has not finished landing: late).
 */
import { pad, partitionLandingDir, pick, prng, seedOf, writeLanded, type SampleGenerator } from 'conveyor/pipeline';
import { clickstreamPipeline, EVENT_TYPES } from './definition';

const PAGES = ['/', '/search', '/product/1', '/product/2', '/product/3', '/cart', '/checkout'] as const;

export const generator: SampleGenerator = {
  faults: ['malformed', 'no-marker'],
  generate({ landingDir, partition, rows = 200, files = 1, faults = [] }) {
    const kinds = new Set(faults.map((f) => f.kind));
    const random = prng(seedOf(partition));
    const hourStart = Date.parse(`${partition}:00:00Z`);
    const lines: string[] = [];
    for (let i = 0; i < rows; i += 1) {
      const event = {
        event_id: `${partition.replace(/[-T]/g, '')}-${pad(i, 6)}`,
        // The same customer space as the orders sample, so sessions join the two.
        customer_id: `C${pad(Math.floor(random() * 2_000), 6)}`,
        event_at: new Date(hourStart + Math.floor((i / rows) * 3_599_000)).toISOString().replace('Z', ''),
        page: pick(random, PAGES),
        event_type: pick(random, EVENT_TYPES),
      };
      lines.push(JSON.stringify(event));
    }
    if (kinds.has('malformed')) {
      lines.splice(1, 0, '{"event_id": "broken", "customer_id": ');
      lines.push(JSON.stringify({ event_id: `${partition}-bad-type`, customer_id: 'C000001', event_at: `${partition}:30:00`, page: '/', event_type: 'teleport' }));
    }
    const perFile = Math.ceil(lines.length / files);
    const bodies: Record<string, string> = {};
    for (let f = 0; f < files; f += 1) bodies[`events-${pad(f, 4)}.jsonl`] = lines.slice(f * perFile, (f + 1) * perFile).join('\n') + '\n';
    const dir = partitionLandingDir(landingDir, clickstreamPipeline, partition);
    writeLanded(dir, bodies, kinds.has('no-marker') ? undefined : clickstreamPipeline.source.kind === 'files' ? clickstreamPipeline.source.marker : undefined);
    return { dir, rowsWritten: lines.length };
  },
  // A bad line and an unknown event type in one hour (rejected, the hour published), and the newest
  // hour still landing (no marker yet: its run waits for it).
  demoFaults: (keys) => ({
    ...(keys.length > 6 ? { [keys[keys.length - 7]!]: [{ kind: 'malformed' }] } : {}),
    ...(keys.length > 0 ? { [keys[keys.length - 1]!]: [{ kind: 'no-marker' }] } : {}),
  }),
};
