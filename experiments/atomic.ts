/**
 * Writes that leave nothing half-written behind: data goes to a temporary file
 * in the same folder, is flushed to disk, then renamed over the target (rename
 * is atomic on POSIX file systems). A kill -9 leaves either the old file or the
 * new one, plus at worst a stray `*.tmp-*` that the next write ignores.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = openSync(temporary, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(handle, bytes, offset, bytes.length - offset);
    fsyncSync(handle);
  } catch (error) {
    closeSync(handle);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(handle);
  renameSync(temporary, path);
}

/** Renames a fully written folder into place, replacing an older one. */
export function replaceDirectory(temporaryDir: string, targetDir: string): void {
  const old = `${targetDir}.old-${process.pid}-${Date.now()}`;
  let moved = false;
  try {
    renameSync(targetDir, old);
    moved = true;
  } catch {
    // no previous folder
  }
  renameSync(temporaryDir, targetDir);
  if (moved) rmSync(old, { recursive: true, force: true });
}
