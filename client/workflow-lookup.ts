/** Small lookups shared by the client modules: does a workflow exist, and where is it in the Web UI. */
import type { ConveyorConfig } from '../common/config';

export { describeWorkflow } from './service';

type UiConfig = Pick<ConveyorConfig, 'webUiUrl' | 'namespace'>;

/** Link to a workflow (its latest run) or to one run's history. */
export function webUiWorkflowUrl(config: UiConfig, workflowId: string, runId?: string): string {
  const base = `${config.webUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

/** Link to the workflow list filtered by a visibility query, e.g. `Pipeline = "orders"`. */
export function webUiListUrl(config: UiConfig, query: string): string {
  return `${config.webUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Link to the namespace's Schedules page. */
export function webUiSchedulesUrl(config: UiConfig): string {
  return `${config.webUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/schedules`;
}
