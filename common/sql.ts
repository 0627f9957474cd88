/** Quoting for SQL text built from values (DuckDB dialect; pure, usable anywhere). */

/** Quote a string as a SQL literal (for table-function arguments DuckDB cannot take as bound parameters). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quote an identifier. Pipeline and column names are validated at definition time; this is a second fence. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
