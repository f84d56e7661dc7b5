/**
 * Data at rest under `DATA_PATH`: what the server creates there is readable by its own user only —
 * folders 0700, files 0600 — whatever the umask (the database holds password hashes and tokens, the
 * secret file signs sessions). Folders and files the operator made are left as they are.
 */
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

/** Mode of every folder the server creates (owner only). */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file the server creates (owner read and write). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Create `dir` and any missing parents, each mode 0700. Existing folders keep their mode.
 * @throws the `mkdir`/`chmod` error (e.g. EACCES).
 */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // mkdir's mode is masked by the umask; chmod is not. Walk down from the first folder created.
  const target = path.resolve(dir);
  for (let current = path.resolve(first); ; ) {
    chmodSync(current, PRIVATE_DIR_MODE);
    if (current === target) break;
    current = path.join(current, path.relative(current, target).split(path.sep)[0]!);
  }
}

/**
 * Create `file` empty with mode 0600 unless it exists; an existing file keeps its mode. Returns
 * whether it was created. SQLite then gives its `-wal` and `-shm` files the database file's mode.
 * @throws the `open`/`chmod` error other than EEXIST.
 */
export function createPrivateFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}
