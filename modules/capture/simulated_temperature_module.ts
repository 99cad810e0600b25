/**
 * A simulated temperature module (after the Opentrons Temperature Module's G-code): it answers `M105` polls
 * with noisy readings that drift toward the `M104` target, deterministically for a seed. It is the robot
 * app's embedded default source, and its `respond` lets tests expose it as a serial device.
 *
 * @module
 */
import type { Source } from "./collector.ts";
import { InvalidOptionsError } from "./errors.ts";
import type { JsonSchemaObject } from "./sample_schema.ts";

/** One temperature reading: the measured temperature and the target (null when holding no target). */
export interface TemperatureReading {
  /** The measured temperature, in degrees Celsius (three decimals). */
  readonly currentC: number;
  /** The target set with `M104`, or null when none is set. */
  readonly targetC: number | null;
}

/** The JSON Schema of a `TemperatureReading`, as stored with its channel (Foxglove plots both fields). */
export const TEMPERATURE_READING_SCHEMA: JsonSchemaObject = {
  title: "deckhand.TemperatureReading",
  type: "object",
  properties: {
    currentC: { type: "number", description: "Measured temperature, degrees Celsius" },
    targetC: { type: "number", description: "Target set with M104, degrees Celsius; null when no target is set" },
  },
  required: ["currentC", "targetC"],
};

/** Options of `createSimulatedTemperatureModule`; all optional. */
export interface SimulatedTemperatureModuleOptions {
  /** Seed of the noise generator: the same seed gives the same readings. Default 1. */
  readonly seed?: number;
  /** Temperature with no target set. Default 23. */
  readonly ambientC?: number;
  /** Amplitude of the uniform reading noise, in degrees. Default 0.05. */
  readonly noiseC?: number;
  /** Fraction of the distance to the target (or ambient) covered per poll, in (0, 1]. Default 0.1. */
  readonly approachPerPoll?: number;
}

/** A simulated temperature module: a `Source` of readings and a G-code responder. */
export interface SimulatedTemperatureModule extends Source<TemperatureReading> {
  /** Answers one G-code line (`M105` poll, `M104 S<celsius>` set target, `M18` deactivate) with response lines. */
  respond(command: string): string;
}

/**
 * Parses a temperature module's `M105` answer line (`T:<target|none> C:<current>`); other lines (`ok`) give
 * `undefined`, so a serial source keeps waiting for the reading. Its `sampleSchema` is the readings' JSON Schema,
 * which `createSerialSource` stores with the channel.
 *
 * @example
 * ```ts
 * parseTemperatureResponse("T:4.000 C:22.871"); // { currentC: 22.871, targetC: 4 }
 * parseTemperatureResponse("ok"); // undefined
 * ```
 */
export const parseTemperatureResponse: ((line: string) => TemperatureReading | undefined) & {
  readonly sampleSchema: JsonSchemaObject;
} = Object.assign(
  (line: string): TemperatureReading | undefined => {
    const match = /^T:(none|-?\d+(?:\.\d+)?)\s+C:(-?\d+(?:\.\d+)?)/.exec(line.trim());
    if (!match) return undefined;
    return { currentC: Number(match[2]), targetC: match[1] === "none" ? null : Number(match[1]) };
  },
  { sampleSchema: TEMPERATURE_READING_SCHEMA },
);

/**
 * Creates a simulated temperature module.
 *
 * @example
 * ```ts
 * const module = createSimulatedTemperatureModule({ seed: 7 });
 * module.respond("M104 S4");
 * module.respond("M105"); // "T:4.000 C:21.0xx\r\nok\r\n"
 * const reading = await module.read(new AbortController().signal);
 * ```
 */
export function createSimulatedTemperatureModule(options: SimulatedTemperatureModuleOptions = {}): SimulatedTemperatureModule {
  const ambientC = options.ambientC ?? 23;
  const noiseC = options.noiseC ?? 0.05;
  const approach = options.approachPerPoll ?? 0.1;
  if (!Number.isFinite(ambientC)) throw new InvalidOptionsError("ambientC must be a finite number");
  if (!Number.isFinite(noiseC) || noiseC < 0) throw new InvalidOptionsError("noiseC must be a finite number >= 0");
  if (!(approach > 0 && approach <= 1)) throw new InvalidOptionsError("approachPerPoll must be in (0, 1]");
  // mulberry32: a tiny, well-distributed seeded generator, so readings are reproducible.
  let state = (options.seed ?? 1) >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let trueC = ambientC;
  let targetC: number | null = null;

  function poll(): TemperatureReading {
    trueC += ((targetC ?? ambientC) - trueC) * approach;
    const currentC = Math.round((trueC + (random() * 2 - 1) * noiseC) * 1000) / 1000;
    return { currentC, targetC };
  }

  return {
    sampleSchema: TEMPERATURE_READING_SCHEMA,
    read(signal: AbortSignal): Promise<TemperatureReading> {
      if (signal.aborted) return Promise.reject(signal.reason);
      return Promise.resolve(poll());
    },
    respond(command: string): string {
      const line = command.trim().toUpperCase();
      if (line.startsWith("M105")) {
        const reading = poll();
        const target = reading.targetC === null ? "none" : reading.targetC.toFixed(3);
        return `T:${target} C:${reading.currentC.toFixed(3)}\r\nok\r\n`;
      }
      const setTarget = /^M104\s+S(-?\d+(?:\.\d+)?)/.exec(line);
      if (setTarget) {
        targetC = Number(setTarget[1]);
        return "ok\r\n";
      }
      if (line.startsWith("M18")) {
        targetC = null;
        return "ok\r\n";
      }
      return `ERR003:unrecognized command ${JSON.stringify(command.trim())}\r\n`;
    },
  };
}
