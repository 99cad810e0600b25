/**
 * A direct stage: a ready stage that, inside a pipeline, writes its results straight into the queue after it
 * instead of yielding them one by one from an async generator that a pump then drains. That saves the
 * generator's promise round trips and the pump's `await` per item, which is most of the per-item cost of a
 * cheap async `map`. Outside a pipeline the same stage is an ordinary {@link Stage}.
 *
 * Internal to the module: user stages are async generators, and stay so.
 *
 * @module
 */
import { BoundedQueue } from "./bounded_queue.ts";
import type { Stage, StageContext } from "./stage.ts";

/**
 * Runs a stage over `input`, pushing results into `out` only while `out.hasRoom`. Resolves true when the input
 * ended and every result was pushed, false as soon as `out` is cancelled (nobody reads any more; the stage has
 * stopped everything it started by then); rejects with the stage's failure after stopping what it started.
 */
export type DirectRun<I, O> = (input: AsyncIterable<I>, out: BoundedQueue<O>, context: StageContext) => Promise<boolean>;

const DIRECT: unique symbol = Symbol("deckhand.pipeline.direct");

type WithDirect<I, O> = Stage<I, O> & { [DIRECT]?: DirectRun<I, O> };

/**
 * Makes a {@link Stage} of `direct`: the pipeline finds `direct` on it ({@link directRunOf}); called as a plain
 * stage, it runs `direct` into a one-item queue and yields from that.
 */
export function directStage<I, O>(name: string, direct: DirectRun<I, O>): Stage<I, O> {
  const stage: WithDirect<I, O> = async function* (input, context) {
    const out = new BoundedQueue<O>(1);
    const done = direct(input, out, context).then(() => out.end(), (error: unknown) => out.abort(error));
    try {
      for await (const value of out) yield value;
    } finally {
      await out.close();
      await done;
    }
  };
  Object.defineProperty(stage, "name", { value: name });
  stage[DIRECT] = direct;
  return stage;
}

/** The direct run of a stage made by {@link directStage}, or undefined for any other stage. */
export function directRunOf<I, O>(stage: Stage<I, O>): DirectRun<I, O> | undefined {
  return (stage as WithDirect<I, O>)[DIRECT];
}
