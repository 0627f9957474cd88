import type { ConveyorConfig } from '../platform/config';
import type { FileArea } from '../lake/area';
import type { LakeLayout } from '../lake/layout';
import { landingOf } from '../landing/landing-zone';
import type { PipelineRegistry } from '../definitions/registry';

/** What the activities need from their process; injected so tests can use their own. */
export interface ActivityDeps {
  registry: PipelineRegistry;
  /** The landing zone (landing/landing-zone.ts landingOf). */
  landing: FileArea;
  lake: LakeLayout;
  /** For the monitor: where alerts go, and the Web UI its links point at. */
  monitoring: Pick<ConveyorConfig, 'alerts' | 'webUiUrl' | 'namespace'>;
  /** Where Conveyor's Python worker serves `python` transforms (CONVEYOR_PYTHON_TASK_QUEUE). */
  pythonTaskQueue: string;
}

/** The activities' dependencies in a process configured by `config`. */
export function activityDeps(config: ConveyorConfig, registry: PipelineRegistry, lake: LakeLayout): ActivityDeps {
  return {
    registry,
    landing: landingOf(config),
    lake,
    monitoring: { alerts: config.alerts, webUiUrl: config.webUiUrl, namespace: config.namespace },
    pythonTaskQueue: config.pythonTaskQueue,
  };
}
