/**
 * The Swagger UI page of an agent (research/smythos.md §7 "Swagger", §12 item 32; server-common
 * `SwaggerRole`): Swagger UI from `swagger-ui-dist`, its files served by us under
 * {@link SWAGGER_ASSET_PATH}. Our CSP is `script-src 'self'`, so the page has no inline script: the
 * document rides in a `<script type="application/json">` block and {@link SWAGGER_INIT_JS}, a file we
 * serve, starts Swagger UI on it. The original's debug script for test domains is not carried over.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenApiDocument } from './spec.ts';

/** Where the page's files are served. */
export const SWAGGER_ASSET_PATH = '/swagger/assets';

/** The files of `swagger-ui-dist` the page uses, by name, with their content types. */
export const SWAGGER_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Our start script's name under {@link SWAGGER_ASSET_PATH}. */
export const SWAGGER_INIT_FILE = 'init.js';

/**
 * Our start script: reads the embedded document and starts Swagger UI on it. "Try it out" from a
 * signed-in browser sends the session cookie; a skill takes a cookie only with the session's CSRF token
 * (src/agents/runner-routes.ts), so same-origin calls without an `Authorization` header get it added.
 */
export const SWAGGER_INIT_JS = `'use strict';
(function () {
  var csrf;
  function csrfToken() {
    if (!csrf) csrf = fetch('/api/auth/whoami', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (me) { return me.csrf_token; }, function () { return undefined; });
    return csrf;
  }
  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }
  window.addEventListener('load', function () {
    var spec = JSON.parse(document.getElementById('openapi-document').textContent);
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: '#swagger-ui',
      deepLinking: true,
      persistAuthorization: true,
      requestInterceptor: function (request) {
        if (!sameOrigin(request.url) || request.headers.Authorization || request.headers.authorization) return request;
        return csrfToken().then(function (token) {
          if (token) request.headers['X-CSRF-Token'] = token;
          return request;
        });
      }
    });
  });
})();
`;

/** The folder of `swagger-ui-dist`, found without loading its main module (which loads the whole bundle). */
export function swaggerAssetsDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/absolute-path.js'));
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Swagger UI's document: `document`, whose scheme is the original's `ApiKeyAuth` (type apiKey, header
 * `Authorization`, the whole `Bearer <key>` typed in) when the agent needs a credential (§12 item 32).
 */
export function swaggerDocument(document: OpenApiDocument, secured: boolean): OpenApiDocument {
  if (!secured) return document;
  return {
    ...document,
    components: { securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Bearer <access token or API key>' } } },
    security: [{ ApiKeyAuth: [] }],
  };
}

/** The page for `document`; its title is the agent's name. `<` is escaped so the data cannot close its script. */
export function swaggerPage(document: OpenApiDocument): string {
  const json = JSON.stringify(document).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)}</title>
<link rel="icon" type="image/png" sizes="32x32" href="${SWAGGER_ASSET_PATH}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${SWAGGER_ASSET_PATH}/favicon-16x16.png">
<link rel="stylesheet" href="${SWAGGER_ASSET_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script type="application/json" id="openapi-document">${json}</script>
<script src="${SWAGGER_ASSET_PATH}/swagger-ui-bundle.js"></script>
<script src="${SWAGGER_ASSET_PATH}/${SWAGGER_INIT_FILE}"></script>
</body>
</html>
`;
}
