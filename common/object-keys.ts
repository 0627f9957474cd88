/** The names of objects in a store: keys of safe segments, and `s3://bucket/prefix` URLs. Pure. */

/** Keys are `/`-separated relative paths of safe segments (lake/layout.ts makes them). */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
  }
  return key;
}

/** `s3://bucket/prefix` parsed; the prefix has no leading or trailing slash ('' for the bucket's root). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`invalid S3 URL ${JSON.stringify(url)}: expected s3://<bucket>[/<prefix>], e.g. s3://lake/conveyor`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') checkKey(prefix);
  return { bucket: match[1]!, prefix };
}
