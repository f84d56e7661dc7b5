/**
 * Locations inside the installed package, the same whether running from `src/` (tsx) or `dist/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Absolute path of the package root (the folder holding `package.json`). */
export const PACKAGE_ROOT = findRoot();

/** The package version from `package.json`. */
export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Where `npm run build:web` writes the UI. */
export const WEB_DIST = path.join(PACKAGE_ROOT, 'dist', 'web');
