#!/usr/bin/env node
// `npm start` runs this first: build the server and the UI when either build is missing.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const missing = ['dist/src/cli/main.js', 'dist/web/index.html'].filter((f) => !existsSync(path.join(root, f)));
if (missing.length) {
  console.log(`building Orrery (missing: ${missing.join(', ')})…`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
