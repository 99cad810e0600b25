/**
 * Test support (not published): a gate that a test opens when it decides, so tests order events without
 * sleeping, and `settle()`, which lets pending promises and timers run before a check.
 */

/** A promise the test resolves by hand: `await gate.wait` blocks until `gate.open()`. */
export class Gate<T = void> {
  readonly wait: Promise<T>;
  #open!: (value: T) => void;
  opened = false;

  constructor() {
    this.wait = new Promise<T>((resolve) => {
      this.#open = resolve;
    });
  }

  open(value: T): void {
    this.opened = true;
    this.#open(value);
  }
}

/** Lets every pending microtask and a few timer turns run, so a pipeline reaches its resting state. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** A sync source of `length` numbers that counts how many were pulled and whether it was closed. */
export function countingSource(length: number): { readonly items: Iterable<number>; readonly pulls: () => number; readonly closed: () => boolean } {
  let pulls = 0;
  let closed = false;
  function* numbers(): Generator<number> {
    try {
      for (let i = 0; i < length; i++) {
        pulls++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { items: numbers(), pulls: () => pulls, closed: () => closed };
}

/** The async version of {@link countingSource}: `yield*` pulls one item per `next()` and forwards `return()`. */
export function countingAsyncSource(length: number): { readonly items: AsyncIterable<number>; readonly pulls: () => number; readonly closed: () => boolean } {
  const counted = countingSource(length);
  async function* numbers(): AsyncGenerator<number> {
    yield* counted.items;
  }
  return { items: numbers(), pulls: counted.pulls, closed: counted.closed };
}
