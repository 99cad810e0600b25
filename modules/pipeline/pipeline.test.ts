import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AbortError, batch, InvalidOptionsError, map, named, pipeline, run, type Stage, StageError, tap } from "./mod.ts";
import { countingAsyncSource, countingSource, Gate, settle } from "./gate_test_support.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test("pipeline yields the last stage's output in source order through several stages", async () => {
  const double: Stage<number, number> = async function* double(input) {
    for await (const x of input) yield x * 2;
  };
  const out = await collect(pipeline([1, 2, 3, 4, 5], [double, map((x) => x + 1), map(async (x) => `#${x}`)]));
  assert.deepEqual(out, ["#3", "#5", "#7", "#9", "#11"]);
});

test("pipeline reads async sources and keeps order with concurrent calls that finish out of order", async () => {
  async function* source(): AsyncGenerator<number> {
    for (let i = 0; i < 200; i++) yield i;
  }
  // Each call waits a different number of timer turns, so later items often finish first.
  const slowly = (x: number) => new Promise<number>((resolve) => setTimeout(() => resolve(x), (x * 7) % 5));
  const out = await collect(pipeline(source(), [map(slowly, { concurrency: 8 }), batch({ size: 7 })], { queueSize: 2 }));
  assert.deepEqual(out.flat(), Array.from({ length: 200 }, (_, i) => i));
  assert.ok(out.every((b, i) => b.length === 7 || i === out.length - 1));
});

test("run drains the pipeline and resolves to a final report with per-stage counts", async () => {
  const report = await run(Array.from({ length: 1000 }, (_, i) => i), [
    named("evens", async function* (input: AsyncIterable<number>) {
      for await (const x of input) if (x % 2 === 0) yield x;
    }),
    batch({ size: 100 }),
  ]);
  assert.equal(report.final, true);
  assert.equal(report.sourceItems, 1000);
  assert.equal(report.outputItems, 5);
  assert.deepEqual(report.stages.map((s) => [s.name, s.in, s.out, s.queued, s.inFlight]), [
    ["evens", 1000, 500, 0, 0],
    ["batch", 500, 5, 0, 0],
  ]);
});

test("stages are named by function name, stage[i] when anonymous, name[i] when shared, or named()", async () => {
  const report = await run([1], [
    map((x: number) => x),
    map((x: number) => x),
    async function* (input: AsyncIterable<number>) {
      yield* input;
    },
    named("parse", tap(() => undefined)),
  ]);
  assert.deepEqual(report.stages.map((s) => s.name), ["map[0]", "map[1]", "stage[2]", "parse"]);
});

// Backpressure. With a blocked last stage, what the pipeline can hold is: the queue in front of each stage
// (queueSize items, a batch counting as one), the calls map runs at once, the partial batch and the one batch the
// blocked stage took. The source must never be pulled beyond that, however long it is.
function pipelineBound(q: number, c: number, b: number, asyncSource: boolean): number {
  const sourceQueue = asyncSource ? q : 0;
  return sourceQueue + c + q + (b - 1) + q * b + b;
}

async function pullsWhileBlocked(q: number, c: number, b: number, asyncSource: boolean) {
  const length = 1_000_000;
  const source = asyncSource ? countingAsyncSource(length) : countingSource(length);
  const tookOne = new Gate();
  const release = new Gate();
  const blocked: Stage<number[], number[]> = async function* blocked(input, context) {
    for await (const items of input) {
      tookOne.open();
      await Promise.race([release.wait, new Promise((resolve) => context.signal.addEventListener("abort", resolve))]);
      yield items;
    }
  };
  const controller = new AbortController();
  const done = run(source.items, [map((x: number) => x, { concurrency: c }), batch({ size: b }), blocked], {
    queueSize: q,
    signal: controller.signal,
  });
  await tookOne.wait;
  await settle();
  const resting = source.pulls();
  await settle();
  const later = source.pulls();
  controller.abort();
  await assert.rejects(done, AbortError);
  assert.ok(source.closed(), "the source was closed");
  return { resting, later };
}

test("a blocked stage holds back the source: pulls stay within queues + concurrency + batch sizes", async () => {
  const { resting, later } = await pullsWhileBlocked(2, 3, 4, false);
  assert.ok(resting >= 4, `the blocked stage got a full batch (${resting} pulls)`);
  assert.ok(resting <= pipelineBound(2, 3, 4, false), `${resting} pulls > bound ${pipelineBound(2, 3, 4, false)}`);
  assert.equal(later, resting, "no further pulls while blocked");
});

test("property: for any queue size, concurrency, batch size and source kind, pulls never exceed the bound", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      async (q, c, b, asyncSource) => {
        const { resting, later } = await pullsWhileBlocked(q, c, b, asyncSource);
        const bound = pipelineBound(q, c, b, asyncSource);
        return resting >= b && resting <= bound && later === resting;
      },
    ),
    { numRuns: 20 },
  );
});

test("aborting stops every stage, closes the source and rejects with AbortError carrying the reason", async () => {
  const source = countingAsyncSource(1_000_000);
  const controller = new AbortController();
  let running = 0;
  let callsRunning = 0;
  const closed: string[] = [];
  const watched: Stage<number, number> = async function* watched(input) {
    running++;
    try {
      for await (const x of input) {
        if (x === 100) controller.abort("operator pressed stop");
        yield x;
      }
    } finally {
      running--;
      closed.push("watched");
    }
  };
  // A call that only ends when its signal aborts: proves the signal reaches the calls and the run waits for them.
  const untilAborted = (x: number, signal: AbortSignal) => {
    callsRunning++;
    return new Promise<number>((resolve) => {
      if (x < 150) return resolve(x);
      signal.addEventListener("abort", () => {
        callsRunning--;
        resolve(x);
      });
    }).finally(() => {
      if (x < 150) callsRunning--;
    });
  };
  await assert.rejects(
    run(source.items, [watched, map(untilAborted, { concurrency: 4 }), tap(() => undefined)], {
      signal: controller.signal,
    }),
    (error: unknown) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.name, "AbortError");
      assert.equal(error.code, "PIPELINE_ABORTED");
      assert.equal(error.cause, "operator pressed stop");
      return true;
    },
  );
  // By the time the run rejected, everything it started had ended.
  assert.equal(source.closed(), true);
  assert.equal(running, 0);
  assert.equal(callsRunning, 0);
  assert.deepEqual(closed, ["watched"]);
  assert.ok(source.pulls() < 1000);
});

test("a signal aborted before the run starts rejects at once and still closes the source", async () => {
  let pulls = 0;
  let returns = 0;
  const source: Iterable<number> = {
    [Symbol.iterator]: () => ({
      next: () => ({ done: false, value: pulls++ }),
      return: () => {
        returns++;
        return { done: true, value: undefined };
      },
    }),
  };
  const controller = new AbortController();
  controller.abort(new Error("too late"));
  await assert.rejects(run(source, [map((x: number) => x)], { signal: controller.signal }), AbortError);
  assert.equal(pulls, 0);
  assert.equal(returns, 1);
});

test("a failing stage rejects with its original error, names the stage, and shuts every other stage down", async () => {
  const boom = new RangeError("item 10 is out of range");
  let downstreamClosed = false;
  let callsRunning = 0;
  const explode = named("explode", tap((x: number) => {
    if (x === 10) throw boom;
  }));
  const downstream: Stage<number, number> = async function* downstream(input) {
    try {
      yield* input;
    } finally {
      downstreamClosed = true;
    }
  };
  const waitForAbort = (x: number, signal: AbortSignal) => {
    callsRunning++;
    return new Promise<number>((resolve) => {
      const finish = () => {
        callsRunning--;
        resolve(x);
      };
      if (x < 5) finish();
      else signal.addEventListener("abort", finish);
    });
  };
  const source = countingSource(1_000_000);
  // Items from 5 on wait inside map until the run stops, so map has calls running when explode fails.
  await assert.rejects(run(source.items, [explode, downstream, map(waitForAbort, { concurrency: 3 })]), (error: unknown) => {
    assert.equal(error, boom);
    assert.equal((error as { stage?: string }).stage, "explode");
    return true;
  });
  assert.equal(source.closed(), true);
  assert.equal(downstreamClosed, true);
  assert.equal(callsRunning, 0);
});

test("an error thrown by the source rejects the run with stage \"source\" and closes every stage", async () => {
  const broken = new Error("disk read failed");
  let stageClosed = false;
  function* source(): Generator<number> {
    for (let i = 0; i < 100; i++) yield i;
    throw broken;
  }
  const watch: Stage<number, number> = async function* watch(input) {
    try {
      yield* input;
    } finally {
      stageClosed = true;
    }
  };
  await assert.rejects(run(source(), [batch({ size: 10 }), map((b: number[]) => b.length), watch]), (error: unknown) => {
    assert.equal(error, broken);
    assert.equal((error as { stage?: string }).stage, "source");
    return true;
  });
  assert.equal(stageClosed, true);
});

test("a stage that throws a primitive rejects with a StageError naming the stage, the value as cause", async () => {
  await assert.rejects(run([1, 2], [tap(() => {
    throw "not an Error";
  })]), (error: unknown) => {
    assert.ok(error instanceof StageError);
    assert.equal(error.code, "PIPELINE_STAGE_FAILED");
    assert.equal(error.stage, "tap");
    assert.equal(error.cause, "not an Error");
    return true;
  });
});

test("breaking out of the loop stops every stage and closes the source before the loop exits", async () => {
  const source = countingAsyncSource(1_000_000);
  let stageClosed = false;
  let signalAborted = false;
  const watch: Stage<number, number> = async function* watch(input, context) {
    try {
      yield* input;
    } finally {
      stageClosed = true;
      signalAborted = context.signal.aborted;
    }
  };
  const seen: number[] = [];
  for await (const x of pipeline(source.items, [map((x: number) => x * 10), watch])) {
    seen.push(x);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, [0, 10, 20]);
  assert.equal(source.closed(), true);
  assert.equal(stageClosed, true);
  assert.equal(signalAborted, true);
  assert.ok(source.pulls() < 100);
});

test("a stage that stops reading early closes the stages before it while the ones after it finish", async () => {
  const source = countingSource(1_000_000);
  const firstThree: Stage<number, number> = async function* firstThree(input) {
    let n = 0;
    for await (const x of input) {
      yield x;
      if (++n === 3) return;
    }
  };
  const report = await run(source.items, [map((x: number) => x + 1), firstThree, batch({ size: 10 })]);
  assert.equal(report.outputItems, 1);
  assert.equal(report.stages[2]!.in, 3);
  assert.equal(source.closed(), true);
  assert.ok(source.pulls() < 100);
  const out = await collect(pipeline(countingSource(1_000_000).items, [firstThree, batch({ size: 10 })]));
  assert.deepEqual(out, [[0, 1, 2]]);
});

/** An async source that yields `count` items and then goes quiet: its next() never settles again. */
function quietAfter(count: number): { items: AsyncIterable<number>; returned: () => number; pending: () => number } {
  let i = 0;
  let returned = 0;
  let pending = 0;
  const iterator: AsyncIterator<number> = {
    next() {
      if (i < count) return Promise.resolve({ done: false, value: i++ });
      pending++;
      return new Promise(() => {});
    },
    return() {
      returned++;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return { items: { [Symbol.asyncIterator]: () => iterator }, returned: () => returned, pending: () => pending };
}

// The timeouts only turn a hang (the bug) into a failure; they measure nothing.
test("a stage that returns early releases a quiet async source at once: return() without waiting for its pending next()", { timeout: 30_000 }, async () => {
  const firstThree: Stage<number, number> = async function* firstThree(input) {
    let n = 0;
    for await (const x of input) {
      yield x;
      if (++n === 3) return;
    }
  };
  for (const count of [3, 5]) {
    const source = quietAfter(count);
    const report = await run(source.items, [firstThree]);
    assert.equal(report.outputItems, 3);
    assert.equal(source.returned(), 1, "the source's return() was called once");
    assert.equal(source.pending(), 1, "while its next() was still pending");
  }
  const source = quietAfter(3);
  assert.deepEqual(await collect(pipeline(source.items, [map((x: number) => x * 2), firstThree])), [0, 2, 4]);
  assert.equal(source.returned(), 1);
});

test("aborting or breaking out while an async source is quiet releases it and settles", { timeout: 30_000 }, async () => {
  const quiet = quietAfter(2);
  const controller = new AbortController();
  const running = run(quiet.items, [map((x: number) => x)], { signal: controller.signal });
  await settle();
  controller.abort(new Error("operator"));
  await assert.rejects(running, AbortError);
  assert.equal(quiet.returned(), 1);

  const broken = quietAfter(2);
  for await (const x of pipeline(broken.items, [map((y: number) => y)])) {
    if (x === 1) break;
  }
  assert.equal(broken.returned(), 1);
});

test("pipeline starts nothing until the first next() and can be left unread", async () => {
  const source = countingSource(10);
  const lines = pipeline(source.items, [map((x: number) => x)]);
  await settle(2);
  assert.equal(source.pulls(), 0);
  assert.deepEqual(await lines.return!(), { done: true, value: undefined });
});

test("progress: one final report when the run ends before the interval, with rates from the injected clock", async () => {
  const reports: unknown[] = [];
  const times = [1_000, 3_000];
  const report = await run(Array.from({ length: 100 }, (_, i) => i), [batch({ size: 10 }), map((b: number[]) => b)], {
    onProgress: (r) => reports.push(r),
    progressIntervalMs: 3_600_000,
    clock: { now: () => times.shift() ?? 3_000 },
  });
  assert.deepEqual(reports, [report]);
  assert.equal(report.final, true);
  assert.equal(report.elapsedMs, 2_000);
  assert.deepEqual(report.stages.map((s) => [s.name, s.in, s.out, s.itemsPerSecond]), [
    ["batch", 100, 10, 5],
    ["map", 10, 10, 5],
  ]);
});

test("progress: periodic reports show a run's counts while it waits, then a final one", async () => {
  const reports: { final: boolean; outputItems: number; stages: readonly { in: number; queued: number }[] }[] = [];
  const firstReport = new Gate();
  const waitForReport: Stage<number, number> = async function* waitForReport(input) {
    for await (const x of input) {
      if (x === 5) await firstReport.wait;
      yield x;
    }
  };
  const report = await run(Array.from({ length: 20 }, (_, i) => i), [waitForReport], {
    progressIntervalMs: 1,
    onProgress: (r) => {
      reports.push(r);
      if (!r.final) firstReport.open();
    },
  });
  const periodic = reports.filter((r) => !r.final);
  assert.ok(periodic.length >= 1);
  assert.equal(periodic[0]!.stages[0]!.in, 6, "the stage had taken items 0..5 and waited on item 5");
  assert.equal(periodic[0]!.outputItems, 5);
  assert.equal(reports.at(-1), report);
  assert.equal(reports.filter((r) => r.final).length, 1);
  assert.equal(report.outputItems, 20);
});

test("an onProgress callback that throws fails the run with stage \"onProgress\"", async () => {
  const bad = new Error("progress sink is gone");
  await assert.rejects(run([1, 2, 3], [map((x: number) => x)], {
    progressIntervalMs: 3_600_000,
    onProgress: () => {
      throw bad;
    },
  }), (error: unknown) => error === bad && (error as { stage?: string }).stage === "onProgress");
});

test("nonsense options throw InvalidOptionsError before any item moves", async () => {
  const source = countingSource(10);
  for (const options of [{ queueSize: 0 }, { queueSize: -1 }, { queueSize: 1.5 }, { progressIntervalMs: 0 }, {
    progressIntervalMs: Number.NaN,
  }]) {
    assert.throws(() => pipeline(source.items, [map((x: number) => x)], options), InvalidOptionsError);
    await assert.rejects(run(source.items, [map((x: number) => x)], options), (error: unknown) => {
      assert.ok(error instanceof InvalidOptionsError);
      assert.equal(error.code, "PIPELINE_INVALID_OPTIONS");
      return true;
    });
  }
  assert.throws(() => pipeline(42 as unknown as number[], [map((x: number) => x)]), InvalidOptionsError);
  assert.throws(() => pipeline([1], ["map" as unknown as Stage<number, number>]), InvalidOptionsError);
  assert.throws(() => named("", map((x: number) => x)), InvalidOptionsError);
  assert.equal(source.pulls(), 0);
});

test("aborting while a consumer iterates pipeline() throws AbortError from the loop after everything stopped", async () => {
  const source = countingAsyncSource(1_000_000);
  const controller = new AbortController();
  let stageClosed = false;
  const watch: Stage<number, number> = async function* watch(input) {
    try {
      yield* input;
    } finally {
      stageClosed = true;
    }
  };
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const x of pipeline(source.items, [watch], { signal: controller.signal })) {
      seen.push(x);
      if (x === 10) controller.abort("enough");
    }
  }, (error: unknown) => error instanceof AbortError && error.cause === "enough");
  assert.equal(seen.at(-1), 10);
  assert.equal(stageClosed, true);
  assert.equal(source.closed(), true);
});
