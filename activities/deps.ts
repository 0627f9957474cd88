import type { LakeLayout } from '../lake/layout';
import type { PipelineRegistry } from '../pipelines/registry';

/** What the activities need from their process; injected so tests can use their own. */
export interface ActivityDeps {
  registry: PipelineRegistry;
  landingDir: string;
  lake: LakeLayout;
}
