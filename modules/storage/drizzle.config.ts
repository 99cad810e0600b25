/**
 * drizzle-kit configuration: `pnpm run db:generate` (in modules/storage) writes the SQL migrations for
 * `schema.ts` into `drizzle/`, which is checked in and shipped with the package.
 */
import { defineConfig } from "drizzle-kit";

/** The drizzle-kit settings for the run store's schema. */
const config: ReturnType<typeof defineConfig> = defineConfig({
  dialect: "sqlite",
  schema: "./schema.ts",
  out: "./drizzle",
});

export default config;
