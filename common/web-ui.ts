/** Links into the Temporal Web UI that commands, alerts and the dashboard print. Pure. */

/** Where the Web UI is (TEMPORAL_UI_URL) and the namespace its pages are under. */
export interface WebUi {
  webUiUrl: string;
  namespace: string;
}

/** Link to a workflow (its latest run) or to one run's history. */
export function webUiWorkflowUrl(ui: WebUi, workflowId: string, runId?: string): string {
  const base = `${ui.webUiUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

/** Link to the workflow list filtered by a visibility query, e.g. `Pipeline = "orders"`. */
export function webUiListUrl(ui: WebUi, query: string): string {
  return `${ui.webUiUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Link to the namespace's Schedules page. */
export function webUiSchedulesUrl(ui: WebUi): string {
  return `${ui.webUiUrl}/namespaces/${encodeURIComponent(ui.namespace)}/schedules`;
}
