/**
 * What a stage is: a function from an async iterable of inputs to an async iterable of outputs, usually an
 * async generator. The pipeline runs every stage concurrently, with a bounded queue between each pair.
 *
 * @module
 */
import { InvalidOptionsError } from "./errors.ts";

/**
 * What a stage receives besides its input: its name and position (for logs), the run's `signal` (aborted
 * when the run is aborted, fails or its consumer stops; pass it to anything that waits), and a way to report
 * how many items it holds for progress.
 */
export interface StageContext {
  /** The stage's name, as it appears in progress reports and on errors. */
  readonly name: string;
  /** The stage's position in the stage list, from 0. */
  readonly index: number;
  /** Aborted when the run stops early; stages must stop promptly (a stage that ignores it delays the run's end). */
  readonly signal: AbortSignal;
  /** Reports how many items the stage has taken in but not yet emitted (shown as `inFlight` in progress). */
  setInFlight(count: number): void;
}

/**
 * A stage: reads its input (an `AsyncIterable`) and yields its output. Write one as an async generator.
 *
 * @example
 * ```ts
 * const parse: Stage<string, unknown> = async function* parse(lines) {
 *   for await (const line of lines) yield JSON.parse(line);
 * };
 * ```
 */
export type Stage<I, O> = (input: AsyncIterable<I>, context: StageContext) => AsyncIterable<O>;

/**
 * Gives a stage a name for progress reports and errors. Without one, a stage is known by its function's
 * name, or as `stage[i]` when the function is anonymous.
 *
 * @example
 * ```ts
 * await run(lines, [named("parse", map((line: string) => JSON.parse(line)))]);
 * ```
 */
export function named<I, O>(name: string, stage: Stage<I, O>): Stage<I, O> {
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidOptionsError(`a stage name must be a non-empty string, got ${String(name)}`);
  }
  const namedStage: Stage<I, O> = (input, context) => stage(input, context);
  Object.defineProperty(namedStage, "name", { value: name });
  return namedStage;
}

/**
 * The names stages go by in one run: the function's name, `stage[i]` for an anonymous one, and `name[i]` for
 * every stage whose name is shared with another, so each name in a report is unique.
 */
export function stageNames(stages: readonly { readonly name: string }[]): string[] {
  const base = stages.map((stage, i) => (stage.name === "" ? `stage[${i}]` : stage.name));
  const counts = new Map<string, number>();
  for (const name of base) counts.set(name, (counts.get(name) ?? 0) + 1);
  return base.map((name, i) => ((counts.get(name) ?? 0) > 1 ? `${name}[${i}]` : name));
}
