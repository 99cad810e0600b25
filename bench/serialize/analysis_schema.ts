/**
 * A realistic codec schema for an Opentrons protocol analysis document, as the robot server stores it, written
 * with valibot, the schema library @deckhand/serialize uses for its own records.
 *
 * Depth: every top-level field is validated (types of the scalars; the shapes of files, config, pipettes,
 * labware, modules and liquids entries; errors and runTimeParameters are arrays of objects). Each command is
 * checked loosely: an object with a string id, commandType, status and createdAt and an object `params`;
 * command bodies (params, result, notes) are not walked. Objects are loose (unknown keys pass); the codec returns
 * the parsed payload itself, so nothing is stripped or reordered.
 */
import * as v from "valibot";

const record = v.record(v.string(), v.unknown());
const entries = <const T extends Record<string, v.StringSchema<undefined>>>(fields: T) => v.array(v.looseObject(fields));

/** The valibot schema (a Standard Schema v1 validator) for analysis documents. */
export const analysisSchema = v.looseObject({
  createdAt: v.string(),
  robotType: v.string(),
  result: v.string(),
  metadata: record,
  config: v.looseObject({ protocolType: v.string() }),
  files: entries({ name: v.string(), role: v.string() }),
  pipettes: entries({ id: v.string(), pipetteName: v.string(), mount: v.string() }),
  labware: entries({ id: v.string(), loadName: v.string(), definitionUri: v.string() }),
  modules: entries({ id: v.string(), model: v.string() }),
  liquids: entries({ id: v.string(), displayName: v.string() }),
  errors: v.array(record),
  runTimeParameters: v.array(record),
  commands: v.array(
    v.looseObject({ id: v.string(), commandType: v.string(), status: v.string(), createdAt: v.string(), params: record }),
  ),
});

/** The validated shape of an analysis document (other keys pass through). */
export type AnalysisDocument = v.InferOutput<typeof analysisSchema>;
