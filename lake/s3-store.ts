/**
 * The object store on an S3 bucket (lake/object-store.ts has the interface and the folder), through
 * the AWS SDK for JavaScript v3: conditional writes (`If-None-Match: *`, `If-Match`), files over one
 * part uploaded in parts with the condition on completing, listings paged past 1,000 keys, and bad
 * configuration (credentials, bucket, endpoint) refused in one line.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fs from 'node:fs';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { checkKey, ObjectStoreUnavailable, parseS3Url, PreconditionFailed, type ObjectStore, type StoredObject } from './object-store';

/** What an S3 write takes: bytes, or a file (uploaded in parts of PART_BYTES when larger). */
export { parseS3Url };

export type S3Body = Buffer | string | { file: string };
/** 8 MiB: S3's parts are at least 5 MiB (but the last). */
export const PART_BYTES = 8 * 1024 * 1024;

/** One conditional write: where, on what condition, what a refusal says, and the user metadata to keep. */
interface ConditionalWrite {
  key: string;
  condition: { IfNoneMatch: '*' } | { IfMatch: string };
  refused: string;
  metadata?: Record<string, string> | undefined;
}

/** S3 answers a failed condition with 412, and a concurrent conditional write with 409. */
function isPreconditionFailure(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' || e.$metadata?.httpStatusCode === 412 || e.$metadata?.httpStatusCode === 409;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/**
 * The SDK warns on Node 20 about its releases from 2027 on (package-lock pins this one): a multi-line
 * warning on every CLI and at every worker start, which breaks one-line errors. The SDK's own switch
 * turns it off, unless the user set it. Call before creating an S3Client.
 */
export function quietNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** How long a request waits for an endpoint that does not answer before the call fails. */
const UNREACHABLE_PATIENCE_MS = 10_000;

export class S3Store implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  constructor(
    readonly url: string,
    private readonly client: S3Client,
    /** Where the client sends requests, for messages. */
    private readonly endpoint = 'AWS S3',
    /** Endpoint, region and access key: two stores with the same one can copy between them. */
    private readonly identity = endpoint,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
  }

  private noSuchBucket(): ObjectStoreUnavailable {
    return new ObjectStoreUnavailable(`${this.endpoint} has no bucket ${JSON.stringify(this.bucket)} (from ${this.url})`);
  }

  /**
   * Send a command; a refused signature, an unknown bucket or an endpoint that does not answer becomes
   * one line. An endpoint that does not answer is asked again for UNREACHABLE_PATIENCE_MS first (a
   * store restarting, a network blip; the SDK's own retries span well under a second), so a short
   * outage costs a step a pause, not an attempt; a longer one fails it `transient` and Temporal retries.
   */
  private async send<T>(request: (client: S3Client) => Promise<T>): Promise<T> {
    for (let waitedMs = 0, delayMs = 250; ; delayMs = Math.min(delayMs * 2, 4000)) {
      try {
        return await request(this.client);
      } catch (err) {
        const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        if (status === 403 || /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied/.test(e.name ?? '')) {
          throw new ObjectStoreUnavailable(`${this.endpoint} refused access to ${this.url} (HTTP ${status ?? 403}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
        }
        if (e.name === 'NoSuchBucket') throw this.noSuchBucket();
        if (e.name === 'CredentialsProviderError') throw new ObjectStoreUnavailable(`no credentials for ${this.url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
        if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EPIPE/.test(`${e.code ?? ''} ${e.name ?? ''} ${String(err)}`)) {
          if (waitedMs < UNREACHABLE_PATIENCE_MS) {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            waitedMs += delayMs;
            continue;
          }
          const check = this.endpoint === 'AWS S3' ? 'no AWS_ENDPOINT_URL_S3 is set, so AWS itself was asked: set it for another store, or check the network' : 'check AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, and that the store is up';
          throw new ObjectStoreUnavailable(`the S3 endpoint ${this.endpoint} for ${this.url} does not answer (${e.code ?? e.name}): ${check}`);
        }
        throw err;
      }
    }
  }

  /**
   * A store from the AWS SDK's own variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION,
   * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), plus CONVEYOR_S3_FORCE_PATH_STYLE, which the SDK has
   * no variable for (SeaweedFS and most self-hosted stores need path-style addressing).
   */
  static fromEnv(url: string, env: NodeJS.ProcessEnv = process.env): S3Store {
    quietNodeVersionWarning();
    const config: S3ClientConfig = {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: /^(1|true|yes)$/i.test(env.CONVEYOR_S3_FORCE_PATH_STYLE ?? ''),
      maxAttempts: 3,
      // Integrity: SigV4 signs every upload's SHA-256 (bodies are buffers here, never unsigned
      // streams), which the server checks. The SDK's extra CRC32 on every request and response, and a
      // Content-MD5, cost as much CPU again, in JavaScript, per byte moved.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    // An empty value (`VAR=` in a .env file) is unset, as for Conveyor's own variables.
    const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
    if (endpoint) config.endpoint = endpoint;
    // Keys from `env` itself (the SDK's default chain reads only this process's environment).
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      config.credentials = {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      };
    }
    return new S3Store(url, new S3Client(config), endpoint ?? 'AWS S3', [endpoint ?? 'AWS S3', config.region, env.AWS_ACCESS_KEY_ID ?? '(default credentials)'].join(' '));
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private keyOf(objectKey: string): string {
    return this.prefix ? objectKey.slice(this.prefix.length + 1) : objectKey;
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.send((c) => c.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
      return { key, size: out.ContentLength ?? 0, etag: out.ETag ?? '', metadata: out.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Copy `fromKey` of `from` (a store on the same endpoint) to `key`, server-side: no bytes through
   * this process. Only while the source still has `etag` (else PreconditionFailed).
   */
  async copyFrom(from: S3Store, fromKey: string, etag: string, key: string): Promise<StoredObject> {
    const source = [from.bucket, ...from.objectKey(fromKey).split('/')].map(encodeURIComponent).join('/');
    try {
      const out = await this.send((c) => c.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), CopySource: source, CopySourceIfMatch: etag })));
      return { key, size: 0, etag: out.CopyObjectResult?.ETag ?? '' };
    } catch (err) {
      if (isPreconditionFailure(err)) throw new PreconditionFailed(`${from.url}/${fromKey} changed since it was read`);
      throw err;
    }
  }

  /** The same endpoint and credentials: a server-side copy between the two works. */
  sameStoreAs(other: S3Store): boolean {
    return this.identity === other.identity;
  }

  /** Download an object into `file` (written beside it, then renamed), streamed; undefined when there is none. */
  async download(key: string, file: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.send((c) => c.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
      const temp = `${file}.tmp-${randomUUID()}`;
      try {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await pipeline(out.Body as Readable, fs.createWriteStream(temp));
        await fs.promises.rename(temp, file);
      } finally {
        await fs.promises.rm(temp, { force: true });
      }
      return { key, size: out.ContentLength ?? 0, etag: out.ETag ?? '', metadata: out.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<{ body: Buffer; object: StoredObject } | undefined> {
    try {
      const out = await this.send((c) => c.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      return { body, object: { key, size: body.length, etag: out.ETag ?? '', metadata: out.Metadata ?? {} } };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async put(request: ConditionalWrite, body: S3Body): Promise<StoredObject> {
    const { key, condition, refused, metadata } = request;
    if (typeof body === 'object' && 'file' in body) {
      const { size } = await fs.promises.stat(body.file);
      if (size > PART_BYTES) return this.putInParts(request, body.file, size);
      body = await fs.promises.readFile(body.file);
    }
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      const out = await this.send((c) =>
        c.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.objectKey(key),
            Body: data,
            ...(metadata ? { Metadata: metadata } : {}),
            ...condition,
          }),
        ),
      );
      return { key, size: data.length, etag: out.ETag ?? '', ...(metadata ? { metadata } : {}) };
    } catch (err) {
      if (isPreconditionFailure(err)) throw new PreconditionFailed(`${this.url}/${key} ${refused}`);
      throw err;
    }
  }

  /**
   * A file larger than one part goes up in parts, and the condition applies to completing the upload:
   * until then nothing is visible, and an upload that fails or loses its condition is aborted.
   */
  private async putInParts({ key, condition, refused, metadata }: ConditionalWrite, file: string, size: number): Promise<StoredObject> {
    const Key = this.objectKey(key);
    const started = await this.send((c) => c.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ...(metadata ? { Metadata: metadata } : {}) })));
    const UploadId = started.UploadId!;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      const handle = await fs.promises.open(file, 'r');
      try {
        for (let offset = 0, PartNumber = 1; offset < size; offset += PART_BYTES, PartNumber += 1) {
          const chunk = Buffer.alloc(Math.min(PART_BYTES, size - offset));
          await handle.read(chunk, 0, chunk.length, offset);
          const out = await this.send((c) =>
            c.send(new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber, Body: chunk })),
          );
          parts.push({ ETag: out.ETag!, PartNumber });
        }
      } finally {
        await handle.close();
      }
      const done = await this.send((c) => c.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts }, ...condition })));
      return { key, size, etag: done.ETag ?? '', ...(metadata ? { metadata } : {}) };
    } catch (err) {
      await this.send((c) => c.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))).catch(() => undefined);
      if (isPreconditionFailure(err)) throw new PreconditionFailed(`${this.url}/${key} ${refused}`);
      throw err;
    }
  }

  /**
   * Abort the multipart uploads under `prefix` begun before `initiatedBeforeMs` (epoch ms, by the S3
   * server's clock): what a writer killed mid-upload left (invisible, but stored and billed). Returns
   * the keys whose uploads were aborted.
   */
  async abortAbandonedUploads(prefix: string, initiatedBeforeMs: number, only: (key: string) => boolean = () => true): Promise<string[]> {
    const aborted: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const out = await this.send((c) =>
        c.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix, KeyMarker, UploadIdMarker })),
      );
      for (const upload of out.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || (upload.Initiated && upload.Initiated.getTime() >= initiatedBeforeMs) || !only(this.keyOf(upload.Key))) continue;
        await this.send((c) => c.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId })));
        aborted.push(this.keyOf(upload.Key));
      }
      ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = out.IsTruncated ? out : { NextKeyMarker: undefined, NextUploadIdMarker: undefined });
    } while (KeyMarker);
    return aborted;
  }

  /** `metadata`: user metadata written with the object (returned by head and get). `{ file }` uploads a file, in parts when large. */
  create(key: string, body: S3Body, metadata?: Record<string, string>): Promise<StoredObject> {
    return this.put({ key, condition: { IfNoneMatch: '*' }, refused: 'exists already', metadata }, body);
  }

  replace(key: string, body: S3Body, etag: string, metadata?: Record<string, string>): Promise<StoredObject> {
    return this.put({ key, condition: { IfMatch: etag }, refused: 'changed since it was read', metadata }, body);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const out = await this.send((c) =>
        c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix, ContinuationToken: token })),
      );
      for (const o of out.Contents ?? []) {
        if (o.Key) yield { key: this.keyOf(o.Key), size: o.Size ?? 0, etag: o.ETag ?? '' };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * What is directly under `prefix` (a folder's key, no trailing slash; '' for the top), as a folder
   * listing gives it, every page: its objects with their sizes, and its sub-prefixes (`folders`).
   */
  async children(prefix: string): Promise<{ files: Map<string, number>; folders: string[] }> {
    const base = [this.prefix, prefix].filter(Boolean).join('/');
    const Prefix = base ? `${base}/` : '';
    const files = new Map<string, number>();
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.send((c) => c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, Delimiter: '/', ContinuationToken: token })));
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix.slice(Prefix.length, -1));
      for (const o of out.Contents ?? []) if (o.Key) files.set(o.Key.slice(Prefix.length), o.Size ?? 0);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return { files, folders };
  }

  /**
   * Delete objects, and (`folders`) the folders a store that keeps emptied folders (SeaweedFS) would
   * still list: a `prefix/` key is a no-op on AWS S3. Up to 1,000 in one request.
   */
  async deleteMany(keys: string[], folders: string[] = []): Promise<void> {
    const objects = [...keys.map((key) => ({ Key: this.objectKey(key) })), ...folders.map((folder) => ({ Key: `${this.objectKey(folder)}/` }))];
    for (let i = 0; i < objects.length; i += 1000) {
      const out = await this.send((c) => c.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects.slice(i, i + 1000), Quiet: true } })));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new Error(`could not delete ${failed.length} object(s) from ${this.url}, e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`);
    }
  }

  /** Check the bucket answers and takes writes, once, before a process takes work: a bad configuration is one line at start. */
  async check(): Promise<void> {
    // The bucket first: some stores (SeaweedFS) create a missing bucket on a write.
    try {
      await this.send((c) => c.send(new HeadBucketCommand({ Bucket: this.bucket })));
    } catch (err) {
      if (isNotFound(err)) throw this.noSuchBucket();
      throw err;
    }
    const probe = `.probe-${process.pid}-${Date.now()}`;
    await this.put({ key: probe, condition: { IfNoneMatch: '*' }, refused: 'exists already' }, '');
    await this.delete(probe);
  }

  async delete(key: string): Promise<void> {
    await this.send((c) => c.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
  }
}
