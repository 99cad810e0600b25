/**
 * The sync service's configuration: plain, structured-clonable data (it crosses into the worker thread), and how
 * it becomes engine options and a target inside the worker.
 */
import { directoryTarget, httpTarget, s3Target, type SyncEngineOptions, type UploadTarget } from "@deckhand/sync";

/** Where the service uploads to. */
export type SyncTargetConfig =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "http"; readonly url: string; readonly token?: string }
  | {
    readonly kind: "s3";
    readonly endpoint?: string;
    readonly bucket: string;
    readonly region: string;
    readonly prefix?: string;
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
  };

/** The sync service's configuration (see `@deckhand/sync`'s `SyncEngineOptions` for each setting's default). */
export interface SyncServiceConfig {
  readonly captureDir: string;
  readonly failedDir?: string;
  readonly additionalPaths?: readonly string[];
  readonly target: SyncTargetConfig;
  readonly concurrency?: number;
  readonly scanIntervalMs?: number;
  readonly fileQuietMs?: number;
  readonly bandwidthBytesPerSec?: number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly multiplier?: number };
}

/** Builds the target a config names. */
export function targetFromConfig(target: SyncTargetConfig): UploadTarget {
  switch (target.kind) {
    case "directory":
      return directoryTarget(target.path);
    case "http":
      return httpTarget({ url: target.url, ...(target.token ? { token: target.token } : {}) });
    case "s3":
      return s3Target({
        bucket: target.bucket,
        region: target.region,
        ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        ...(target.prefix ? { prefix: target.prefix } : {}),
        ...(target.accessKeyId && target.secretAccessKey
          ? { credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey } }
          : {}),
      });
    default:
      throw new TypeError(`unknown sync target kind ${JSON.stringify((target as { kind?: unknown }).kind)}`);
  }
}

/** The engine options a config describes. */
export function engineOptions(config: SyncServiceConfig): SyncEngineOptions {
  return {
    captureDir: config.captureDir,
    target: targetFromConfig(config.target),
    ...(config.failedDir !== undefined ? { failedDir: config.failedDir } : {}),
    ...(config.additionalPaths !== undefined ? { additionalPaths: config.additionalPaths } : {}),
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.scanIntervalMs !== undefined ? { scanIntervalMs: config.scanIntervalMs } : {}),
    ...(config.fileQuietMs !== undefined ? { fileQuietMs: config.fileQuietMs } : {}),
    ...(config.bandwidthBytesPerSec !== undefined ? { bandwidthBytesPerSec: config.bandwidthBytesPerSec } : {}),
    ...(config.backoff !== undefined ? { backoff: config.backoff } : {}),
  };
}
