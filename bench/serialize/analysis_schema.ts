/**
 * A realistic codec schema for an Opentrons protocol analysis document, as the robot server stores it, written
 * as a plain Standard Schema v1 validator (the bench package does not depend on valibot; the module's README
 * gives the same measurement with valibot).
 *
 * Depth: every top-level field is validated (types of the scalars; the shapes of files, config, pipettes,
 * labware, modules and liquids entries; errors and runTimeParameters are arrays of objects). Each command is
 * checked loosely in one loop: an object with a string id, commandType, status and createdAt and an object
 * `params`; command bodies (params, result, notes) are not walked. Unknown keys pass; the codec returns the
 * parsed payload itself, so nothing is stripped or reordered.
 */

/** The fields every stored command has. */
export interface CommandSummary {
  readonly id: string;
  readonly commandType: string;
  readonly status: string;
  readonly createdAt: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The validated shape of an analysis document (other keys pass through). */
export interface AnalysisDocument {
  readonly createdAt: string;
  readonly files: readonly { readonly name: string; readonly role: string }[];
  readonly config: { readonly protocolType: string };
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly robotType: string;
  readonly result: string;
  readonly pipettes: readonly { readonly id: string; readonly pipetteName: string; readonly mount: string }[];
  readonly labware: readonly { readonly id: string; readonly loadName: string; readonly definitionUri: string }[];
  readonly modules: readonly { readonly id: string; readonly model: string }[];
  readonly liquids: readonly { readonly id: string; readonly displayName: string }[];
  readonly errors: readonly Readonly<Record<string, unknown>>[];
  readonly runTimeParameters: readonly Readonly<Record<string, unknown>>[];
  readonly commands: readonly CommandSummary[];
}

/** A Standard Schema v1 issue (declared here: the bench package does not depend on @standard-schema/spec). */
interface Issue {
  readonly message: string;
  readonly path?: readonly PropertyKey[];
}
type Result<T> = { readonly value: T; readonly issues?: undefined } | { readonly issues: readonly Issue[] };
type Record_ = Record<string, unknown>;

const isObject = (value: unknown): value is Record_ => typeof value === "object" && value !== null && !Array.isArray(value);

function checkEntries(
  issues: Issue[],
  document: Record_,
  field: string,
  stringFields: readonly string[],
): void {
  const list = document[field];
  if (!Array.isArray(list)) {
    issues.push({ message: "expected an array", path: [field] });
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (!isObject(entry)) {
      issues.push({ message: "expected an object", path: [field, i] });
      continue;
    }
    for (const key of stringFields) {
      if (typeof entry[key] !== "string") issues.push({ message: "expected a string", path: [field, i, key] });
    }
  }
}

function validateAnalysis(value: unknown): Result<AnalysisDocument> {
  if (!isObject(value)) return { issues: [{ message: "expected an analysis object" }] };
  const issues: Issue[] = [];
  for (const key of ["createdAt", "robotType", "result"]) {
    if (typeof value[key] !== "string") issues.push({ message: "expected a string", path: [key] });
  }
  if (!isObject(value.metadata)) issues.push({ message: "expected an object", path: ["metadata"] });
  if (!isObject(value.config) || typeof value.config.protocolType !== "string") {
    issues.push({ message: "expected an object with a string protocolType", path: ["config"] });
  }
  checkEntries(issues, value, "files", ["name", "role"]);
  checkEntries(issues, value, "pipettes", ["id", "pipetteName", "mount"]);
  checkEntries(issues, value, "labware", ["id", "loadName", "definitionUri"]);
  checkEntries(issues, value, "modules", ["id", "model"]);
  checkEntries(issues, value, "liquids", ["id", "displayName"]);
  checkEntries(issues, value, "errors", []);
  checkEntries(issues, value, "runTimeParameters", []);
  const commands = value.commands;
  if (!Array.isArray(commands)) {
    issues.push({ message: "expected an array", path: ["commands"] });
  } else {
    for (let i = 0; i < commands.length; i++) {
      const c: unknown = commands[i];
      if (
        !isObject(c) || typeof c.id !== "string" || typeof c.commandType !== "string" || typeof c.status !== "string" ||
        typeof c.createdAt !== "string" || !isObject(c.params)
      ) {
        issues.push({ message: "a command needs a string id, commandType, status, createdAt and an object params", path: ["commands", i] });
      }
    }
  }
  return issues.length > 0 ? { issues } : { value: value as unknown as AnalysisDocument };
}

/** The Standard Schema v1 validator for analysis documents. */
export const analysisSchema = {
  "~standard": {
    version: 1 as const,
    vendor: "deckhand-bench",
    validate: validateAnalysis,
    types: undefined as unknown as { readonly input: unknown; readonly output: AnalysisDocument } | undefined,
  },
};
