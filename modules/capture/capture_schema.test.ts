import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { createCaptureWriter } from "./capture_writer.ts";
import { createCollector } from "./collector.ts";
import type { Source } from "./collector.ts";
import { InvalidOptionsError, SourceDisconnectedError } from "./errors.ts";
import { createSimulatedTemperatureModule, parseTemperatureResponse, TEMPERATURE_READING_SCHEMA } from "./simulated_temperature_module.ts";
import { withDir } from "./temp_dir_test_support.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";

const decoder = new TextDecoder();

/**
 * What Foxglove does with a `jsonschema` channel (its parseJsonSchema, restated): the root must be
 * `"type": "object"` with `properties`; every property must be boolean, string, number/integer, object (recursively)
 * or array of those, or a oneOf of numeric constants (enums). Anything else throws, and Foxglove drops the topic.
 * Returns the datatype of each field path.
 */
function foxgloveFields(schema: Record<string, unknown>, prefix = ""): Map<string, string> {
  if (schema.type !== "object") throw new Error(`Expected "type": "object" for schema ${prefix || "root"}, got ${JSON.stringify(schema.type)}`);
  const fields = new Map<string, string>();
  for (const [name, field] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
    const path = prefix + name;
    if (Array.isArray(field.oneOf)) {
      if (!field.oneOf.every((alternative: { const?: unknown }) => typeof alternative.const === "number")) {
        throw new Error(`Unsupported type for ${path}: oneOf alternatives must have number values`);
      }
      fields.set(path, "uint32");
      continue;
    }
    switch (field.type) {
      case "boolean":
        fields.set(path, "bool");
        break;
      case "string":
        fields.set(path, "string");
        break;
      case "number":
      case "integer":
        fields.set(path, "float64");
        break;
      case "object":
        for (const [k, v] of foxgloveFields(field, `${path}.`)) fields.set(k, v);
        break;
      case "array": {
        const items = field.items as Record<string, unknown>;
        if (!["boolean", "string", "number", "integer", "object"].includes(items.type as string)) {
          throw new Error(`Unsupported type ${JSON.stringify(items.type)} for array item ${path}`);
        }
        fields.set(path, `${items.type}[]`);
        break;
      }
      default:
        throw new Error(`Unsupported type ${JSON.stringify(field.type)} for ${path}`);
    }
  }
  return fields;
}

interface ChannelReport {
  schemaName: string | undefined;
  fields: Map<string, string> | undefined;
  messages: unknown[];
}

/** Opens a file as Foxglove would: every channel's schema parsed, every message read back through @mcap/core. */
async function openLikeFoxglove(path: string): Promise<Map<string, ChannelReport>> {
  const bytes = await readFile(path);
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(bytes.byteLength),
      read: async (offset: bigint, size: bigint) => bytes.subarray(Number(offset), Number(offset + size)),
    },
  });
  const channels = new Map<string, ChannelReport>();
  for (const channel of reader.channelsById.values()) {
    assert.equal(channel.messageEncoding, "json");
    const schema = reader.schemasById.get(channel.schemaId);
    let fields: Map<string, string> | undefined;
    if (schema) {
      assert.equal(schema.encoding, "jsonschema");
      fields = foxgloveFields(JSON.parse(decoder.decode(schema.data)));
    } else {
      assert.equal(channel.schemaId, 0, "schemaless JSON: Foxglove shows it without a schema");
    }
    channels.set(channel.topic, { schemaName: schema?.name, fields, messages: [] });
  }
  for await (const message of reader.readMessages()) {
    const topic = reader.channelsById.get(message.channelId)!.topic;
    channels.get(topic)!.messages.push(JSON.parse(decoder.decode(message.data)));
  }
  return channels;
}

test("every channel's schema parses the way Foxglove parses it, numeric fields typed, and every message reads back", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    const writer = createCaptureWriter({ dir, clock, flushIntervalMs: 3_600_000 });
    const controller = new AbortController();
    let reads = 0;
    const stop = <T>(source: Source<T>, after: number): Source<T> => ({
      ...source,
      async read(signal) {
        if (++reads >= after) controller.abort();
        return source.read(signal);
      },
    });
    let n = 0;
    let flaky = 0;
    const collectors = [
      createCollector({ name: "temp", method: "M105", source: createSimulatedTemperatureModule({ seed: 2 }), rateHz: 10, writer, clock, signal: controller.signal }),
      createCollector({
        name: "imu",
        source: stop({ read: async () => ({ n: n++, ok: true, label: "imu", axis: { x: 0.5, y: -1 }, hist: [1, 2, 3], missing: null }) }, 90),
        rateHz: 10,
        writer,
        clock,
        signal: controller.signal,
      }),
      createCollector({ name: "raw", source: { read: async () => new TextEncoder().encode('{"volts":3.3}') }, rateHz: 10, writer, clock, signal: controller.signal }),
      createCollector({
        name: "flaky",
        source: {
          async read() {
            flaky++;
            if (flaky % 10 < 3) throw new SourceDisconnectedError("device unplugged");
            return { v: flaky };
          },
        },
        rateHz: 10,
        writer,
        clock,
        signal: controller.signal,
      }),
    ];
    await Promise.all(collectors.map((c) => c.done));
    await writer.close();
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 4);
    const channels = new Map<string, ChannelReport>();
    for (const file of files) for (const [topic, report] of await openLikeFoxglove(join(dir, file))) channels.set(topic, report);
    // Declared by the simulated module: its schema as given.
    const temp = channels.get("/temp/M105")!;
    assert.deepEqual(Object.fromEntries(temp.fields!), { currentC: "float64", targetC: "float64" });
    assert.ok(temp.messages.length > 0 && temp.messages.every((m) => typeof (m as { currentC: unknown }).currentC === "number"));
    // Inferred from the first sample: numbers, booleans, strings, nested objects and arrays typed; nulls left out.
    assert.deepEqual(Object.fromEntries(channels.get("/imu/read")!.fields!), {
      n: "float64", ok: "bool", label: "string", "axis.x": "float64", "axis.y": "float64", hist: "number[]",
    });
    assert.deepEqual(Object.fromEntries(channels.get("/raw/read")!.fields!), { volts: "float64" });
    // Failures and recoveries on a foxglove.Log channel.
    const log = channels.get("/flaky/log")!;
    assert.equal(log.schemaName, "foxglove.Log");
    assert.equal(log.fields!.get("level"), "uint32");
    const levels = log.messages.map((m) => (m as { level: number }).level);
    assert.ok(levels.length >= 2 && levels[0] === 4 && levels[1] === 2, JSON.stringify(levels));
    assert.match((log.messages[0] as { message: string }).message, /CAPTURE_SOURCE_DISCONNECTED/);
    assert.equal(channels.get("/flaky/read")!.fields!.get("v"), "float64");
    for (const report of channels.values()) assert.ok(report.messages.length > 0);
  });
});

test("parseTemperatureResponse and the simulated module declare the reading schema; bad declared schemas are refused", async () => {
  assert.deepEqual(parseTemperatureResponse.sampleSchema, TEMPERATURE_READING_SCHEMA);
  assert.deepEqual(createSimulatedTemperatureModule().sampleSchema, TEMPERATURE_READING_SCHEMA);
  assert.deepEqual(Object.fromEntries(foxgloveFields(TEMPERATURE_READING_SCHEMA as unknown as Record<string, unknown>)), {
    currentC: "float64", targetC: "float64",
  });
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir });
    for (const bad of [{}, { type: "object" }, { type: "number", properties: {} }, { type: "object", properties: { a: { type: "null" } } }]) {
      assert.throws(() => writer.declareSchema("x", "read", bad as never), InvalidOptionsError, JSON.stringify(bad));
    }
    await writer.close();
  });
});

test("a bare number sample gets a schemaless JSON channel, never an empty {} schema", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir });
    await writer.write("counter", "read", 1);
    await writer.write("counter", "read", 2);
    await writer.close();
    const [file] = await readdir(dir);
    const channels = await openLikeFoxglove(join(dir, file!));
    assert.deepEqual(channels.get("/counter/read"), { schemaName: undefined, fields: undefined, messages: [1, 2] });
  });
});
