import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The UI is built into dist/web and served by the Orrery server at `/`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: { outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://localhost:5053', '/health': 'http://localhost:5053' } },
});
