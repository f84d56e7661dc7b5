#!/usr/bin/env node
// The seed's entry point (Runtime Connect Manual §4): `node scripts/runtime-service.mjs --base-url …
// --token kzrt_… --username … --trigger-name … --openai-key … [--openai-model gpt-4.1-mini]`.
// It runs the same code as `orrery connect` (src/connect), from the build in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/src/connect/main.js', import.meta.url));
if (!existsSync(built)) {
  process.stderr.write('fatal: Orrery is not built; run `npm ci` (or `npm run build`) in the Orrery folder first\n');
  process.exit(1);
}
const { connectCommand } = await import(built);
await connectCommand('runtime-service').parseAsync(process.argv);
