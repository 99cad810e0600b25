/**
 * The command-line arguments of the bench runner.
 *
 * @module
 */

/** The command line of `bench/run.ts`, parsed. */
export interface Options {
  quick: boolean;
  check: boolean;
  update: boolean;
  json: string | undefined;
  child: string | undefined;
  out: string | undefined;
  filters: string[];
}

/**
 * Parses `bench/run.ts`'s arguments (see its header). A bare `--`, which `pnpm bench -- --json F` passes
 * through, is skipped; an unknown option throws.
 *
 * @example
 * ```ts
 * parseArgs(["--", "--json", "out.json", "storage"]); // { json: "out.json", filters: ["storage"], ... }
 * ```
 */
export function parseArgs(argv: readonly string[]): Options {
  const options: Options = { quick: false, check: false, update: false, json: undefined, child: undefined, out: undefined, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // `pnpm bench -- --json F` passes the separator through; it separates nothing here.
    if (arg === "--") continue;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--check") options.check = true;
    else if (arg === "--update-baseline") options.update = true;
    else if (arg === "--json") {
      const file = argv[++i];
      if (file === undefined || file.startsWith("--")) throw new Error("--json needs a file name");
      options.json = file;
    }
    else if (arg === "--child") options.child = argv[++i];
    else if (arg === "--out") options.out = argv[++i];
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.filters.push(arg);
  }
  return options;
}
