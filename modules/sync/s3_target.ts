/**
 * `s3Target`: uploads into an S3-compatible bucket (AWS S3, MinIO, Ceph) with `@aws-sdk/client-s3`, the fleet path.
 *
 * Layout under `prefix`: `objects/<sha256>` (the content-addressed objects), `uploads/<key>` (the staging object of
 * a multipart upload), `uploads/<key>.done` (a small marker naming the hash of a completed multipart upload).
 * - Files up to `partSize` are read into one buffer (at most `partSize` bytes) and stored with one `PutObject` under
 *   their hash, with the SHA-256 sent as the object's checksum.
 * - Larger files go up as a multipart upload to the staging key, each part with its own SHA-256 checksum; an
 *   interrupted upload resumes after the parts `ListParts` reports. Once complete, the staging object is copied to
 *   `objects/<sha256>` with a full-object SHA-256 checksum and deleted (copies are limited to 5 GB by S3).
 * - Before the engine deletes a local file, `stat` reads the object's checksum back with `HeadObject`
 *   (`ChecksumMode: ENABLED`) and confirms both the SHA-256 and the size.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import {
  HashMismatchError,
  InvalidOptionsError,
  TargetRejectedError,
  TargetUnavailableError,
  UploadConflictError,
} from "./errors.ts";
import { assertRange, assertSha256, assertUploadKey, type StoredObject, type UploadRequest, type UploadTarget } from "./upload_target.ts";

/** Options of {@link s3Target}. */
export interface S3TargetOptions {
  /** The bucket. */
  readonly bucket: string;
  /** The region, e.g. `eu-west-1` (any value for MinIO and most S3-compatible stores). */
  readonly region: string;
  /** A custom endpoint for S3-compatible stores, e.g. `http://minio:9000`; path-style addressing is then used. */
  readonly endpoint?: string;
  /** Static credentials; omitted, the SDK's default provider chain is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** A key prefix for everything this target writes, e.g. `robots/robot-7/`. Default none. */
  readonly prefix?: string;
  /** Multipart part size in bytes (and the largest single-request upload), at least 5 MiB. Default 8 MiB. */
  readonly partSize?: number;
}

const MIB = 1 << 20;

function base64(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64");
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return statusOf(error) === 404 || name === "NotFound" || name === "NoSuchKey";
}

/** Maps an SDK failure to the module's typed errors (transient vs terminal). */
function translate(error: unknown, what: string, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (error instanceof TargetUnavailableError || error instanceof TargetRejectedError) return error;
  if (error instanceof HashMismatchError || error instanceof UploadConflictError) return error;
  const status = statusOf(error);
  const name = (error as { name?: string } | undefined)?.name ?? "Error";
  const message = `${what}: ${name}: ${(error as Error | undefined)?.message ?? String(error)}`;
  if (name === "NoSuchUpload") return new UploadConflictError(message, { cause: error });
  if (status === undefined) return new TargetUnavailableError(message, { cause: error, unreachable: true });
  if (status >= 500 || status === 408 || status === 429 || name === "SlowDown" || name === "RequestTimeout") {
    return new TargetUnavailableError(message, { cause: error, unreachable: false, status });
  }
  return new TargetRejectedError(message, { cause: error, status });
}

/** Reads up to `limit` bytes from `iterator` into one buffer (the carry-over of the last chunk is kept). */
async function readPart(
  iterator: AsyncIterator<Uint8Array>,
  limit: number,
  carry: { rest: Uint8Array | undefined; done: boolean },
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    let chunk = carry.rest;
    carry.rest = undefined;
    if (!chunk) {
      if (carry.done) break;
      const next = await iterator.next();
      if (next.done) {
        carry.done = true;
        break;
      }
      chunk = next.value;
    }
    const take = Math.min(limit - length, chunk.byteLength);
    chunks.push(chunk.subarray(0, take));
    length += take;
    if (take < chunk.byteLength) carry.rest = chunk.subarray(take);
  }
  return Buffer.concat(chunks, length);
}

/**
 * A target that stores objects in an S3-compatible bucket under their SHA-256.
 *
 * @example
 * ```ts
 * const target = s3Target({
 *   endpoint: "http://minio:9000", bucket: "fleet", region: "us-east-1", prefix: "robots/r7/",
 *   credentials: { accessKeyId: "...", secretAccessKey: "..." },
 * });
 * ```
 */
export function s3Target(options: S3TargetOptions): UploadTarget {
  if (typeof options.bucket !== "string" || options.bucket.length === 0) throw new InvalidOptionsError("s3Target needs a bucket");
  if (typeof options.region !== "string" || options.region.length === 0) throw new InvalidOptionsError("s3Target needs a region");
  const prefix = options.prefix ?? "";
  if (typeof prefix !== "string" || prefix.startsWith("/") || prefix.split("/").some((p) => p === "." || p === "..")) {
    throw new InvalidOptionsError("s3Target prefix must be a relative key prefix such as robots/r7/");
  }
  const partSize = options.partSize ?? 8 * MIB;
  if (!Number.isSafeInteger(partSize) || partSize < 5 * MIB || partSize > 5 * 1024 * MIB) {
    throw new InvalidOptionsError("s3Target partSize must be an integer from 5 MiB to 5 GiB");
  }
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1, // the engine retries with its own backoff and knows which errors are transient
  });
  const Bucket = options.bucket;
  const objectKey = (sha256: string) => `${prefix}objects/${sha256}`;
  const stagingKey = (key: string) => `${prefix}uploads/${key}`;
  const doneKey = (key: string) => `${prefix}uploads/${key}.done`;

  async function send<T>(what: string, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    try {
      return await run();
    } catch (error) {
      throw translate(error, what, signal);
    }
  }

  async function stat(sha256: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    assertSha256(sha256);
    return await send(`HeadObject ${objectKey(sha256)}`, signal, async () => {
      try {
        const head = await client.send(
          new HeadObjectCommand({ Bucket, Key: objectKey(sha256), ChecksumMode: "ENABLED" }),
          { abortSignal: signal },
        );
        // Only a full-object SHA-256 equal to the hash confirms the object (a composite checksum does not).
        if (head.ChecksumSHA256 !== base64(sha256) || typeof head.ContentLength !== "number") return undefined;
        return { sha256, size: head.ContentLength };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async function findUpload(key: string, signal: AbortSignal): Promise<string | undefined> {
    const list = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: stagingKey(key) }), { abortSignal: signal });
    return list.Uploads?.find((u) => u.Key === stagingKey(key))?.UploadId;
  }

  /** The parts already uploaded, contiguous from part 1, each (but a last one) exactly `partSize` long. */
  async function listParts(key: string, uploadId: string, signal: AbortSignal): Promise<CompletedPart[]> {
    const parts: { PartNumber: number; ETag: string; ChecksumSHA256?: string; Size: number }[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListPartsCommand({ Bucket, Key: stagingKey(key), UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
        { abortSignal: signal },
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber && p.ETag && typeof p.Size === "number") {
          parts.push({ PartNumber: p.PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256, Size: p.Size });
        }
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) break;
      marker = page.NextPartNumberMarker;
    }
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    const usable: CompletedPart[] = [];
    for (const [i, p] of parts.entries()) {
      if (p.PartNumber !== i + 1 || p.Size !== partSize) break;
      usable.push({ PartNumber: p.PartNumber, ETag: p.ETag, ...(p.ChecksumSHA256 ? { ChecksumSHA256: p.ChecksumSHA256 } : {}) });
    }
    return usable;
  }

  async function completedHash(key: string, size: number, signal: AbortSignal): Promise<string | undefined> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket, Key: doneKey(key) }), { abortSignal: signal });
      const sha256 = head.Metadata?.sha256;
      if (!sha256 || head.Metadata?.size !== String(size)) return undefined;
      return (await stat(sha256, signal)) ? sha256 : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function putSmall(request: UploadRequest): Promise<StoredObject> {
    const iterator = request.body[Symbol.asyncIterator]();
    const body = await readPart(iterator, request.size - request.offset + 1, { rest: undefined, done: false });
    if (body.byteLength !== request.size - request.offset) {
      throw new UploadConflictError(`upload ${request.key}: the body has ${body.byteLength} bytes, not ${request.size}`);
    }
    const sha256 = await request.sha256;
    assertSha256(sha256);
    const computed = createHash("sha256").update(body).digest("hex");
    if (computed !== sha256) throw new HashMismatchError(`upload ${request.key}: the bytes hash to ${computed}, not ${sha256}`);
    await client.send(
      new PutObjectCommand({
        // The SDK computes the SHA-256 and sends it as the checksum (a trailer S3 verifies); stat reads it back.
        Bucket, Key: objectKey(sha256), Body: body, ContentLength: body.byteLength, ChecksumAlgorithm: "SHA256",
        ContentType: "application/octet-stream",
      }),
      { abortSignal: request.signal },
    );
    return { sha256, size: request.size };
  }

  async function putMultipart(request: UploadRequest): Promise<StoredObject> {
    const { key, size, signal } = request;
    const iterator = request.body[Symbol.asyncIterator]();
    const finished = request.offset === size ? await completedHash(key, size, signal) : undefined;
    if (finished !== undefined) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (next.value.byteLength > 0) throw new UploadConflictError(`upload ${key} is complete; send no bytes`);
      }
      if ((await request.sha256) !== finished) throw new HashMismatchError(`upload ${key} was completed with other bytes`);
      return { sha256: finished, size };
    }
    let uploadId = request.offset > 0 ? await findUpload(key, signal) : undefined;
    let parts: CompletedPart[] = uploadId ? await listParts(key, uploadId, signal) : [];
    if (request.offset !== parts.length * partSize) {
      throw new UploadConflictError(`upload ${key}: the bucket holds ${parts.length * partSize} bytes, not ${request.offset}`);
    }
    if (!uploadId) {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket, Key: stagingKey(key), ChecksumAlgorithm: "SHA256", ContentType: "application/octet-stream" }),
        { abortSignal: signal },
      );
      uploadId = created.UploadId!;
      parts = [];
    }
    const carry = { rest: undefined as Uint8Array | undefined, done: false };
    for (let at = request.offset; at < size; at += partSize) {
      const body = await readPart(iterator, partSize, carry);
      if (body.byteLength !== Math.min(partSize, size - at)) {
        throw new UploadConflictError(`upload ${key}: the body ended at byte ${at + body.byteLength} of ${size}`);
      }
      const checksum = createHash("sha256").update(body).digest("base64");
      const PartNumber = parts.length + 1;
      const part = await client.send(
        new UploadPartCommand({
          Bucket, Key: stagingKey(key), UploadId: uploadId, PartNumber, Body: body, ContentLength: body.byteLength, ChecksumSHA256: checksum,
        }),
        { abortSignal: signal },
      );
      parts.push({ PartNumber, ETag: part.ETag!, ChecksumSHA256: checksum });
    }
    const tail = await iterator.next();
    if (!tail.done) throw new UploadConflictError(`upload ${key}: more than the announced ${size} bytes`);
    const sha256 = await request.sha256;
    assertSha256(sha256);
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key: stagingKey(key), UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    // S3 computes the copy's full-object SHA-256 itself; stat then compares it with the hash the client announced.
    await client.send(
      new CopyObjectCommand({
        Bucket, Key: objectKey(sha256), CopySource: `${Bucket}/${stagingKey(key)}`, ChecksumAlgorithm: "SHA256",
      }),
      { abortSignal: signal },
    );
    const stored = await stat(sha256, signal);
    if (!stored || stored.size !== size) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(sha256) }), { abortSignal: signal });
      await client.send(new DeleteObjectCommand({ Bucket, Key: stagingKey(key) }), { abortSignal: signal });
      throw new HashMismatchError(`upload ${key}: the bucket's SHA-256 of the object is not the announced ${sha256}`);
    }
    await client.send(
      new PutObjectCommand({ Bucket, Key: doneKey(key), Body: "", Metadata: { sha256, size: String(size) } }),
      { abortSignal: signal },
    );
    await client.send(new DeleteObjectCommand({ Bucket, Key: stagingKey(key) }), { abortSignal: signal });
    return stored;
  }

  return {
    description: `s3 ${options.endpoint ?? "aws"}/${Bucket}/${prefix}`,
    async resumeOffset(key, size, signal) {
      assertUploadKey(key);
      assertRange(0, size);
      if (size <= partSize) return 0;
      return await send(`resume ${stagingKey(key)}`, signal, async () => {
        if ((await completedHash(key, size, signal)) !== undefined) return size;
        const uploadId = await findUpload(key, signal);
        return uploadId ? Math.min((await listParts(key, uploadId, signal)).length * partSize, size) : 0;
      });
    },
    async put(request) {
      assertUploadKey(request.key);
      assertRange(request.offset, request.size);
      const what = `upload ${stagingKey(request.key)}`;
      if (request.size <= partSize) {
        return await send(what, request.signal, () => putSmall(request));
      }
      return await send(what, request.signal, () => putMultipart(request));
    },
    stat,
    async probe(signal) {
      await send(`HeadObject probe`, signal, async () => {
        try {
          await client.send(new HeadObjectCommand({ Bucket, Key: `${prefix}probe` }), { abortSignal: signal });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    },
  };
}
