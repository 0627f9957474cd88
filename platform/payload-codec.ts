/**
 * An optional payload codec: AES-256-GCM over every payload Conveyor's clients and workers send to
 * Temporal (workflow inputs and results, activity inputs and results, signals, queries), so partition
 * details are not stored in clear in Temporal's history. Keys come from the environment with an id
 * each (CONVEYOR_CODEC_KEYS="k2:<base64>,k1:<base64>"): the first encrypts, all decrypt, so a key is
 * rotated by putting a new one first and keeping the old ones while histories written with them live.
 * Search attributes (Pipeline, Partition, ...) stay readable: they are how runs are found.
 * Node only (node:crypto): used by clients and workers, never inside workflow code.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKeys {
  /** The id of the key that encrypts: the first listed. */
  current: string;
  keys: Map<string, Buffer>;
}

const entry = /^([A-Za-z0-9_-]{1,64}):([A-Za-z0-9+/]+={0,2})$/;

/** CONVEYOR_CODEC_KEYS: `id:base64,id:base64`, each key 32 bytes (AES-256), ids unique, the first encrypts. */
export const codecKeysSchema = z.string().transform((raw, ctx): CodecKeys => {
  const keys = new Map<string, Buffer>();
  for (const part of raw.split(',')) {
    const m = entry.exec(part.trim());
    const key = m ? Buffer.from(m[2]!, 'base64') : undefined;
    if (!m || key!.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'expected id:key pairs separated by commas, each key 32 random bytes in base64 (openssl rand -base64 32)' });
      return z.NEVER;
    }
    if (keys.has(m[1]!)) {
      ctx.addIssue({ code: 'custom', message: `key id ${m[1]} is listed twice` });
      return z.NEVER;
    }
    keys.set(m[1]!, key!);
  }
  return { current: keys.keys().next().value!, keys };
});

/** A payload encrypted with a key id that is not configured: names the id, never a key. */
export class UnknownCodecKey extends Error {
  override name = 'UnknownCodecKey';
}

/** The data converter of a client or worker: the codec when keys are configured, the SDK's default otherwise. */
export function dataConverterOf(config: { codecKeys?: CodecKeys }): { payloadCodecs: PayloadCodec[] } | undefined {
  return config.codecKeys ? { payloadCodecs: [new AesGcmCodec(config.codecKeys)] } : undefined;
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly codecKeys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const id = this.codecKeys.current;
    const key = this.codecKeys.keys.get(id)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a payload cannot be passed off as another key's.
      cipher.setAAD(Buffer.from(id));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();
      const key = this.codecKeys.keys.get(id);
      if (!key) throw new UnknownCodecKey(`a payload is encrypted with key id '${id}', which CONVEYOR_CODEC_KEYS does not hold (it has: ${[...this.codecKeys.keys.keys()].join(', ')})`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`an encrypted payload (key id '${id}') is too short to be one: ${data.length} bytes`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const decoded = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}
