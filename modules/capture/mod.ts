/**
 * `@deckhand/capture`: collectors that sample hardware (serial devices) or any async source at a set rate into
 * rotated, crash-recoverable MCAP files that open in Foxglove and any MCAP reader.
 *
 * @example
 * ```ts
 * // createCaptureWriter, createCollector, createSimulatedTemperatureModule, recoverCaptureDir: this package's exports
 * await recoverCaptureDir("/var/lib/deckhand/capture");
 * const writer = createCaptureWriter({ dir: "/var/lib/deckhand/capture", flushIntervalMs: 500 });
 * const controller = new AbortController();
 * const collector = createCollector({
 *   name: "temp-module", source: createSimulatedTemperatureModule({ seed: 1 }), rateHz: 10, writer, signal: controller.signal,
 * });
 * ```
 *
 * @module
 */
export { COLLECTOR_LOG_METHOD, createCollector } from "./collector.ts";
export type { Collector, CollectorOptions, CollectorStats, SampleWriter, Source } from "./collector.ts";
export { createCaptureWriter } from "./capture_writer.ts";
export type { CaptureWriter, CaptureWriterOptions } from "./capture_writer.ts";
export { nodeFileSystem } from "./capture_file_system.ts";
export type { CaptureFileHandle, CaptureFileSystem } from "./capture_file_system.ts";
export { FOXGLOVE_LOG_SCHEMA, inferSampleSchema } from "./sample_schema.ts";
export type { ChannelSchema, JsonSchemaObject, JsonSchemaProperty } from "./sample_schema.ts";
export type { CaptureEvent } from "./capture_event.ts";
export { loadDecompressHandlers } from "./chunk_compression.ts";
export type { ChunkCompression } from "./chunk_compression.ts";
export { statfsFreeBytes } from "./disk_policy.ts";
export type { DiskPolicy, FreeBytesProbe } from "./disk_policy.ts";
export { recoverCaptureDir } from "./recover_capture_dir.ts";
export type { DamagedRange, RecoverCaptureDirOptions, RecoveredFile } from "./recover_capture_dir.ts";
export { verifyCaptureDir } from "./verify_capture_dir.ts";
export type { VerifiedFile, VerifyCaptureDirOptions } from "./verify_capture_dir.ts";
export { formatCaptureFileName, parseCaptureFileName } from "./capture_file_name.ts";
export type { CaptureFileName } from "./capture_file_name.ts";
export { createSerialSource } from "./serial_source.ts";
export type { SerialBinding, SerialSource, SerialSourceOptions, SerialSourceStats } from "./serial_source.ts";
export {
  createSimulatedTemperatureModule,
  parseTemperatureResponse,
  TEMPERATURE_READING_SCHEMA,
} from "./simulated_temperature_module.ts";
export type {
  SimulatedTemperatureModule,
  SimulatedTemperatureModuleOptions,
  TemperatureReading,
} from "./simulated_temperature_module.ts";
export { createWallClock, systemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export {
  CaptureError,
  CaptureFileError,
  DiskFullError,
  InvalidLogTimeError,
  InvalidOptionsError,
  SourceDisconnectedError,
  SourceReadError,
  UnrecoverableFileError,
  WriteFailedError,
  WriterClosedError,
} from "./errors.ts";
