#!/usr/bin/env node
// The `deckhand` bin: registers the tsx loader, then runs the TypeScript CLI (deckhand.ts).
import { register } from "tsx/esm/api";

register();
await import("./deckhand.ts");
