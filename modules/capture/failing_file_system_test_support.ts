/**
 * Test support (not published): a capture file system over the real one whose next operations fail on demand,
 * as a full or failing disk does: a write that stores part of its bytes and then fails with ENOSPC, an fdatasync
 * or fsync that fails with EIO, a truncate that fails too.
 */
import { open } from "node:fs/promises";
import type { CaptureFileHandle, CaptureFileSystem } from "./capture_file_system.ts";

function errno(code: string, syscall: string): Error {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

/** The failures armed on a `FailingFileSystem`; each fires once (or `writes` times) and disarms. */
export interface FailingFileSystem extends CaptureFileSystem {
  /** The next `count` writes store half their bytes, then fail with ENOSPC. */
  failWrites(count?: number): void;
  /** The next fdatasync fails with EIO. */
  failDatasync(): void;
  /** The next fsync fails with EIO. */
  failSync(): void;
  /** The next truncate fails with EIO. */
  failTruncate(): void;
  /** How many failures fired. */
  readonly fired: number;
}

/** Creates a file system that fails on demand. */
export function createFailingFileSystem(): FailingFileSystem {
  let writes = 0;
  let datasync = false;
  let sync = false;
  let truncate = false;
  let fired = 0;
  return {
    get fired() {
      return fired;
    },
    failWrites(count = 1) {
      writes = count;
    },
    failDatasync() {
      datasync = true;
    },
    failSync() {
      sync = true;
    },
    failTruncate() {
      truncate = true;
    },
    async create(path: string): Promise<CaptureFileHandle> {
      const handle = await open(path, "wx");
      return {
        async write(buffer, offset, length, position) {
          if (writes > 0) {
            writes--;
            fired++;
            const half = Math.floor(length / 2);
            if (half > 0) await handle.write(buffer, offset, half, position);
            throw errno("ENOSPC", "write");
          }
          return handle.write(buffer, offset, length, position);
        },
        async datasync() {
          if (datasync) {
            datasync = false;
            fired++;
            throw errno("EIO", "fdatasync");
          }
          await handle.datasync();
        },
        async sync() {
          if (sync) {
            sync = false;
            fired++;
            throw errno("EIO", "fsync");
          }
          await handle.sync();
        },
        async truncate(length) {
          if (truncate) {
            truncate = false;
            fired++;
            throw errno("EIO", "ftruncate");
          }
          await handle.truncate(length);
        },
        close: () => handle.close(),
      };
    },
  };
}
