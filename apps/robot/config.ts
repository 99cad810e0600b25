/**
 * The robot app's settings: every one has a command-line flag (`--data-root DIR` or `--data-root=DIR`) and an
 * environment variable `DECKHAND_<SETTING>` (`DECKHAND_DATA_ROOT`); a flag wins over the environment.
 *
 * @module
 */
import { resolve } from "node:path";
import { InvalidSettingError } from "./errors.ts";

/** Where finished capture files are uploaded. */
export type SyncTargetSetting =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "http"; readonly url: string; readonly token?: string }
  | {
    readonly kind: "s3";
    readonly endpoint: string;
    readonly bucket: string;
    readonly region: string;
    readonly prefix?: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  }
  | { readonly kind: "none" };

/** The robot app's resolved settings. */
export interface RobotConfig {
  /** The data root (absolute): the versioned run store, capture files, protocol files, the lock. */
  readonly dataRoot: string;
  readonly host: string;
  /** 0 picks a free port; the real one is printed. */
  readonly port: number;
  /** When set, mutating routes need `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Samples per second of each collector. */
  readonly captureRateHz: number;
  /** The collectors' names. */
  readonly collectors: readonly string[];
  /** A capture file is finished (and so can be synced) after this long. */
  readonly captureFileAgeMs: number;
  /** Capture's loss window on a crash: chunks are flushed this often. */
  readonly captureFlushMs: number;
  /** When set, the first collector reads this real serial device through `@serialport/bindings-cpp`. */
  readonly serialPort: string | undefined;
  readonly serialBaudRate: number;
  readonly syncTarget: SyncTargetSetting;
  /** Largest accepted request body, in bytes. */
  readonly maxBodyBytes: number;
  /** How long a clean shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Background re-renders of a changing run's reports wait until it has been quiet this long. */
  readonly reportDebounceMs: number;
  /** How the run store syncs commits: `power` (default) survives a power cut, `process` only a killed process. */
  readonly durability: "power" | "process";
  /** A request whose head and body have not fully arrived by then is answered 408 and closed (slow clients). */
  readonly requestTimeoutMs: number;
}

interface SettingSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
}

const SETTINGS: readonly SettingSpec[] = [
  { flag: "data-root", env: "DATA_ROOT", help: "data root directory (default ./.deckhand)" },
  { flag: "host", env: "HOST", help: "address to listen on (default 127.0.0.1)" },
  { flag: "port", env: "PORT", help: "port to listen on; 0 picks a free one (default 31950)" },
  { flag: "token", env: "TOKEN", help: "bearer token required on mutating routes (default none)" },
  { flag: "capture-rate-hz", env: "CAPTURE_RATE_HZ", help: "samples per second per collector (default 10)" },
  { flag: "collectors", env: "COLLECTORS", help: "comma-separated collector names (default temp-module)" },
  { flag: "capture-file-age-ms", env: "CAPTURE_FILE_AGE_MS", help: "finish a capture file after this long (default 60000)" },
  { flag: "capture-flush-ms", env: "CAPTURE_FLUSH_MS", help: "capture flush interval = crash loss window (default 1000)" },
  { flag: "serial-port", env: "SERIAL_PORT", help: "real serial device for the first collector (default: simulated)" },
  { flag: "serial-baud-rate", env: "SERIAL_BAUD_RATE", help: "baud rate of the serial device (default 115200)" },
  { flag: "sync-target", env: "SYNC_TARGET", help: "a directory, an ingest http(s):// URL, s3://bucket/prefix, or none (default <data-root>/uploaded)" },
  { flag: "sync-token", env: "SYNC_TOKEN", help: "bearer token for an http sync target" },
  { flag: "durability", env: "DURABILITY", help: "power (default: each acknowledged write survives a power cut) or process (survives a killed process; faster)" },
  { flag: "request-timeout-ms", env: "REQUEST_TIMEOUT_MS", help: "answer 408 to a request not fully received by then (default 30000)" },
  { flag: "s3-endpoint", env: "S3_ENDPOINT", help: "S3-compatible endpoint URL for an s3:// target" },
  { flag: "s3-region", env: "S3_REGION", help: "S3 region (default us-east-1)" },
  { flag: "s3-access-key-id", env: "S3_ACCESS_KEY_ID", help: "S3 access key id" },
  { flag: "s3-secret-access-key", env: "S3_SECRET_ACCESS_KEY", help: "S3 secret access key" },
  { flag: "max-body-bytes", env: "MAX_BODY_BYTES", help: "largest request body in bytes (default 33554432)" },
  { flag: "shutdown-timeout-ms", env: "SHUTDOWN_TIMEOUT_MS", help: "clean shutdown bound (default 10000)" },
  { flag: "report-debounce-ms", env: "REPORT_DEBOUNCE_MS", help: "quiet time before re-rendering a changing run's reports (default 1000)" },
];

/** The `--help` text. */
export function usage(): string {
  const lines = SETTINGS.map((s) => `  --${s.flag.padEnd(22)} DECKHAND_${s.env.padEnd(22)} ${s.help}`);
  return ["Usage: npm start -- [flags]   (or node --import tsx apps/robot/main.ts [flags])", "", "  flag                     environment variable             meaning", ...lines].join("\n");
}

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new InvalidSettingError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new InvalidSettingError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function positiveNumber(raw: string, name: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0) throw new InvalidSettingError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/**
 * Resolves the settings from command-line arguments and the environment. Throws `InvalidSettingError`.
 *
 * @example
 * ```ts
 * const config = parseConfig(process.argv.slice(2), process.env);
 * ```
 */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): RobotConfig {
  const fromFlags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new InvalidSettingError(`unexpected argument "${arg}"; see --help`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!SETTINGS.some((s) => s.flag === name)) throw new InvalidSettingError(`unknown flag --${name}; see --help`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new InvalidSettingError(`--${name} needs a value`);
    fromFlags.set(name, value);
  }
  const get = (flag: string): string | undefined => {
    const spec = SETTINGS.find((s) => s.flag === flag)!;
    return fromFlags.get(flag) ?? env[`DECKHAND_${spec.env}`];
  };
  const dataRoot = resolve(get("data-root") ?? "./.deckhand");
  const collectors = (get("collectors") ?? "temp-module").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (new Set(collectors).size !== collectors.length) throw new InvalidSettingError("collector names must be unique");
  return {
    dataRoot,
    host: get("host") ?? "127.0.0.1",
    port: integer(get("port") ?? "31950", "port", 0, 65535),
    token: get("token") || undefined,
    captureRateHz: positiveNumber(get("capture-rate-hz") ?? "10", "capture-rate-hz"),
    collectors,
    captureFileAgeMs: integer(get("capture-file-age-ms") ?? "60000", "capture-file-age-ms", 100, 86_400_000),
    captureFlushMs: integer(get("capture-flush-ms") ?? "1000", "capture-flush-ms", 10, 600_000),
    serialPort: get("serial-port") || undefined,
    serialBaudRate: integer(get("serial-baud-rate") ?? "115200", "serial-baud-rate", 1, 10_000_000),
    syncTarget: parseSyncTarget(get("sync-target"), dataRoot, get),
    maxBodyBytes: integer(get("max-body-bytes") ?? String(32 << 20), "max-body-bytes", 1024, 2 ** 31),
    shutdownTimeoutMs: integer(get("shutdown-timeout-ms") ?? "10000", "shutdown-timeout-ms", 100, 600_000),
    reportDebounceMs: integer(get("report-debounce-ms") ?? "1000", "report-debounce-ms", 0, 600_000),
    durability: durabilitySetting(get("durability") ?? "power"),
    requestTimeoutMs: integer(get("request-timeout-ms") ?? "30000", "request-timeout-ms", 1000, 3_600_000),
  };
}

function durabilitySetting(raw: string): "power" | "process" {
  if (raw === "power" || raw === "process") return raw;
  throw new InvalidSettingError(`--durability must be power or process, not "${raw}"`);
}

function parseSyncTarget(raw: string | undefined, dataRoot: string, get: (flag: string) => string | undefined): SyncTargetSetting {
  if (raw === undefined || raw === "") return { kind: "directory", path: resolve(dataRoot, "uploaded") };
  if (raw === "none") return { kind: "none" };
  if (/^https?:\/\//.test(raw)) {
    const token = get("sync-token");
    return token ? { kind: "http", url: raw, token } : { kind: "http", url: raw };
  }
  if (raw.startsWith("s3://")) {
    const url = new URL(raw);
    const endpoint = get("s3-endpoint");
    const accessKeyId = get("s3-access-key-id");
    const secretAccessKey = get("s3-secret-access-key");
    if (!endpoint || !accessKeyId || !secretAccessKey) {
      throw new InvalidSettingError("an s3:// sync target needs --s3-endpoint, --s3-access-key-id and --s3-secret-access-key");
    }
    const prefix = url.pathname.replace(/^\/+/, "");
    return {
      kind: "s3", endpoint, bucket: url.hostname, region: get("s3-region") ?? "us-east-1", accessKeyId, secretAccessKey,
      ...(prefix ? { prefix } : {}),
    };
  }
  return { kind: "directory", path: resolve(raw) };
}
