/**
 * Output files are checked before the work that fills them, so that a long
 * evaluation or render never ends in a path it cannot write: the file's folder
 * must exist and be writable (it is not created: a mistyped path would leave
 * folders behind).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.ts';

/** Throws an InputError naming `what` (e.g. "video file") and `path` unless its folder can take it. */
export function checkOutputFolder(path: string, what: string): void {
  const folder = dirname(resolve(path));
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new InputError(`${what} ${path}: the folder ${folder} does not exist; create it or choose another path`);
  }
  if (!isFolder) throw new InputError(`${what} ${path}: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new InputError(`${what} ${path}: the folder ${folder} is not writable`);
  }
}
