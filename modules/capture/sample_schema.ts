/**
 * JSON Schemas for capture channels, in the shape Foxglove (and Lichtblick) accept for `jsonschema` channels:
 * an object type whose properties each carry one of the types they can plot or show. A source declares the
 * schema of its samples; without one, the writer infers it from the first sample (never `{}`, which Foxglove
 * rejects, dropping every topic of the file).
 *
 * @module
 */
import type { CaptureEvent } from "./capture_event.ts";
import { CaptureError, InvalidOptionsError } from "./errors.ts";

/** The type of one property, as Foxglove reads it. Nested objects and arrays carry their own schemas. */
export interface JsonSchemaProperty {
  readonly type: "number" | "integer" | "string" | "boolean" | "object" | "array";
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchemaProperty>>;
  readonly items?: JsonSchemaProperty;
  readonly [keyword: string]: unknown;
}

/** The JSON Schema of a channel's samples: an object whose properties are typed. */
export interface JsonSchemaObject {
  readonly type: "object";
  readonly properties: Readonly<Record<string, JsonSchemaProperty>>;
  readonly title?: string;
  readonly description?: string;
  readonly required?: readonly string[];
  readonly [keyword: string]: unknown;
}

/** A channel's declared or inferred schema: the MCAP schema name (Foxglove's datatype) and the JSON Schema. */
export interface ChannelSchema {
  readonly name: string;
  readonly schema: JsonSchemaObject;
}

const PROPERTY_TYPES = new Set(["number", "integer", "string", "boolean", "object", "array"]);

/** Checks that `schema` is an object schema whose properties (recursively) have types Foxglove reads; returns why not. */
export function jsonSchemaProblem(schema: unknown, path = "schema"): string | undefined {
  if (typeof schema !== "object" || schema === null) return `${path} must be an object`;
  const s = schema as Record<string, unknown>;
  if (s.type !== "object") return `${path}.type must be "object"`;
  if (typeof s.properties !== "object" || s.properties === null) return `${path}.properties must be an object`;
  for (const [key, value] of Object.entries(s.properties as Record<string, unknown>)) {
    const p = value as Record<string, unknown> | null;
    if (typeof p !== "object" || p === null || !PROPERTY_TYPES.has(p.type as string)) {
      return `${path}.properties.${key}.type must be one of ${[...PROPERTY_TYPES].join(", ")}`;
    }
    if (p.type === "object") {
      const problem = jsonSchemaProblem(p, `${path}.properties.${key}`);
      if (problem) return problem;
    }
    if (p.type === "array") {
      const items = p.items as Record<string, unknown> | undefined;
      if (typeof items !== "object" || items === null || !PROPERTY_TYPES.has(items.type as string) || items.type === "array") {
        return `${path}.properties.${key}.items.type must be one of number, integer, string, boolean, object`;
      }
      if (items.type === "object") {
        const problem = jsonSchemaProblem(items, `${path}.properties.${key}.items`);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

function inferProperty(value: unknown, depth: number): JsonSchemaProperty | undefined {
  switch (typeof value) {
    case "number":
      return { type: "number" };
    case "string":
      return { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "object": {
      if (value === null || depth > 16) return undefined;
      if (Array.isArray(value)) {
        const items = value.length > 0 ? inferProperty(value[0], depth + 1) : undefined;
        return items && items.type !== "array" ? { type: "array", items } : undefined;
      }
      return inferObject(value as Record<string, unknown>, depth + 1);
    }
    default:
      return undefined;
  }
}

function inferObject(value: Record<string, unknown>, depth: number): JsonSchemaObject {
  const properties: Record<string, JsonSchemaProperty> = {};
  for (const [key, field] of Object.entries(value)) {
    // A null, an empty array or a mixed value says nothing about its type: left out rather than guessed.
    const property = inferProperty(field, depth);
    if (property) properties[key] = property;
  }
  return { type: "object", properties };
}

/**
 * Infers a JSON Schema from one sample: an object gives an object schema with its number, string, boolean,
 * object and array fields typed (nulls and empty arrays left out); anything else (a bare number, a string)
 * gives `undefined`, written as a schemaless JSON channel, which Foxglove shows but cannot plot by field.
 */
export function inferSampleSchema(sample: unknown): JsonSchemaObject | undefined {
  if (typeof sample !== "object" || sample === null || Array.isArray(sample)) return undefined;
  return inferObject(sample as Record<string, unknown>, 0);
}

/**
 * Foxglove's well-known `foxglove.Log` JSON Schema (levels 0 UNKNOWN, 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR, 5 FATAL):
 * collectors log their read errors and recoveries on a `/<collector>/log` channel with it, which Foxglove's
 * Log panel shows.
 */
export const FOXGLOVE_LOG_SCHEMA: ChannelSchema = {
  name: "foxglove.Log",
  schema: {
    title: "foxglove.Log",
    description: "A log message",
    type: "object",
    properties: {
      timestamp: {
        type: "object",
        title: "time",
        description: "Timestamp of log message",
        properties: { sec: { type: "integer", minimum: 0 }, nsec: { type: "integer", minimum: 0, maximum: 999999999 } },
      },
      level: {
        type: "integer",
        title: "foxglove.LogLevel",
        description: "Log level: 0 UNKNOWN, 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR, 5 FATAL",
        oneOf: [
          { title: "UNKNOWN", const: 0 },
          { title: "DEBUG", const: 1 },
          { title: "INFO", const: 2 },
          { title: "WARNING", const: 3 },
          { title: "ERROR", const: 4 },
          { title: "FATAL", const: 5 },
        ],
      },
      message: { type: "string", description: "Log message" },
      name: { type: "string", description: "Process or node name" },
      file: { type: "string", description: "Filename" },
      line: { type: "integer", minimum: 0, description: "Line number in the file" },
    },
  },
};

const decoder = new TextDecoder();

/** A writer's channel schemas: declared ones, else inferred from each channel's first sample and kept. */
export class ChannelSchemas {
  /** Per `<collector>/<method>`; `null` means schemaless JSON. */
  readonly #schemas = new Map<string, ChannelSchema | null>();
  readonly #onEvent: (event: CaptureEvent) => void;

  /** `onEvent` hears why a channel got no schema (a first sample that is not JSON). */
  constructor(onEvent: (event: CaptureEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Declares a channel's schema (`InvalidOptionsError` when Foxglove could not read it). */
  declare(collector: string, method: string, schema: JsonSchemaObject, name?: string): void {
    const problem = jsonSchemaProblem(schema);
    if (problem) throw new InvalidOptionsError(`the schema declared for ${collector}/${method} is not usable: ${problem}`);
    if (name !== undefined && (typeof name !== "string" || name.length === 0)) {
      throw new InvalidOptionsError("a schema name must be a non-empty string");
    }
    this.#schemas.set(`${collector}/${method}`, { name: name ?? `${collector}.${method}`, schema });
  }

  /** The channel's declared schema, else the one inferred from `sample` (its first), kept for later files. */
  of(collector: string, method: string, sample: unknown): ChannelSchema | undefined {
    const key = `${collector}/${method}`;
    const known = this.#schemas.get(key);
    if (known !== undefined) return known ?? undefined;
    let value = sample;
    if (sample instanceof Uint8Array) {
      try {
        value = JSON.parse(decoder.decode(sample));
      } catch (error) {
        // Bytes that are not JSON get a schemaless channel; the event says why.
        this.#onEvent({ type: "error", error: new CaptureError(`first sample of ${key} is not JSON; its channel has no schema`, { cause: error }) });
        value = undefined;
      }
    }
    const inferred = inferSampleSchema(value);
    const schema = inferred ? { name: `${collector}.${method}`, schema: inferred } : null;
    this.#schemas.set(key, schema);
    return schema ?? undefined;
  }
}
