/**
 * A run's snapshot as a transform outside DuckDB's views is told it (a command, a dbt project, a Python
 * function): its files by the name the pipeline's SQL would give each input. Pure: the workflow hands
 * the Python worker its inputs this way.
 */

/** Files by input: all under `raw`, or, for upstream inputs (`views`), each under the folder named for its view. */
export function inputsByView(views: readonly string[] | null, files: readonly string[]): Record<string, string[]> {
  if (views === null) return { raw: [...files] };
  const folderOf = (file: string) => file.split('/').slice(-2, -1)[0];
  return Object.fromEntries(views.map((view) => [view, files.filter((f) => folderOf(f) === view)]));
}
