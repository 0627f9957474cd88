/**
 * Names that become workflow IDs, file paths and SQL identifiers: lower-case letters, digits and _,
 * starting with a letter, at most 63 characters. Pure: imported by workflow code too.
 */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
