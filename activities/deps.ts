import type { PipelineRegistry } from '../pipelines/registry';
import type { Warehouse } from '../warehouse/warehouse';

/** What the activities need from their process; injected so tests can use their own. */
export interface ActivityDeps {
  registry: PipelineRegistry;
  landingDir: string;
  warehouse: Warehouse;
}
