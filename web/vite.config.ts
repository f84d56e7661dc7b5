import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The UI is built into dist/web and served by the Orrery server at `/`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: { outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true },
  // The proxy presents the server's own origin: the server allows credentialed CORS only from known
  // origins (src/server/security.ts), and the dev server's own (:5173) is not one of them.
  server: {
    proxy: {
      '/api': { target: 'http://localhost:5053', headers: { origin: 'http://localhost:5053' } },
      '/_matrix': { target: 'http://localhost:5053', headers: { origin: 'http://localhost:5053' } },
      '/health': 'http://localhost:5053',
      // The chat page's own endpoints (the page itself is the UI's route /agents/:id/chat).
      '^/agents/[^/]+/chat/(stream|config|widget\\.js)': 'http://localhost:5053',
    },
  },
});
