/**
 * One error model for every surface (DESIGN §7): domain errors, validation failures, Fastify's own
 * errors and crashes all become a 4xx/5xx in the convention of the API surface the route belongs to.
 * Unknown routes answer 404 `{error:"not found", path}`; crashes answer 500 with the correlation id
 * and, only under `NODE_ENV=test`, the stack.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, PlatformErrors, type ErrorKind, type ErrorSpec } from '../lib/errors.ts';

/** API surfaces with their own error body conventions. */
export type Surface = 'platform' | 'matrix' | 'openai' | 'jsonapi';

/** HTTP status of each error kind. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** A normalised error ready to be rendered by a surface. */
export interface ErrorView {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * Body builders per surface. `platform` is Kozmos-compatible (`error` is the human string) with a
 * stable `code` beside it; other surfaces are added by their modules' issues.
 */
const RENDERERS: Record<Surface, (view: ErrorView) => unknown> = {
  platform: (v) => ({ error: v.message, code: v.code, ...v.details }),
  matrix: (v) => ({ errcode: v.code, error: v.message, ...v.details }),
  openai: (v) => ({ error: { message: v.message, type: v.status >= 500 ? 'server_error' : 'invalid_request_error', code: v.code } }),
  jsonapi: (v) => ({ errors: [{ status: String(v.status), code: v.code, title: v.message, meta: v.details }] }),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which error convention the route speaks (default `platform`). */
    surface?: Surface;
  }
}

/** Turn anything thrown into an {@link ErrorView}; `null` for crashes (5xx). */
export function toErrorView(error: unknown): ErrorView | null {
  const fromSpec = (spec: ErrorSpec): ErrorView => ({ status: STATUS_OF_KIND[spec.kind], code: spec.code, message: spec.message, details: {} });
  if (error instanceof DomainError) {
    return { status: STATUS_OF_KIND[error.kind], code: error.code, message: error.message, details: error.details };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      path: [error.validationContext, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
      message: v.message,
    }));
    return { ...fromSpec(PlatformErrors.validation), details: { issues } };
  }
  const fe = error as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fromSpec(PlatformErrors.payloadTooLarge);
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fromSpec(PlatformErrors.unsupportedMediaType);
    return { status: fe.statusCode, code: fe.code ?? PlatformErrors.badRequest.code, message: fe.message, details: {} };
  }
  return null;
}

/** Render `view` for `request`'s surface and send it. */
export function sendError(request: FastifyRequest, reply: FastifyReply, view: ErrorView): FastifyReply {
  const surface = request.routeOptions.config?.surface ?? 'platform';
  return reply.code(view.status).send(RENDERERS[surface](view));
}

/** Installs the error handler and the JSON 404 handler. */
export const errorsPlugin = fp(
  async function errors(app: FastifyInstance, opts: { exposeStack: boolean }) {
    app.setErrorHandler(function orreryErrorHandler(error, request, reply) {
      const view = toErrorView(error);
      if (view) {
        if (view.status === 429 && typeof view.details.retry_after_ms === 'number' && !reply.hasHeader('retry-after')) {
          reply.header('retry-after', String(Math.max(1, Math.ceil(view.details.retry_after_ms / 1000))));
        }
        return sendError(request, reply, view);
      }
      request.log.error({ err: error }, 'request failed');
      return sendError(request, reply, {
        status: 500,
        code: PlatformErrors.internal.code,
        message: PlatformErrors.internal.message,
        details: {
          correlation_id: request.id,
          ...(opts.exposeStack && error instanceof Error ? { stack: error.stack } : {}),
        },
      });
    });
    app.setNotFoundHandler(function notFound(request, reply) {
      // Matrix clients probe for endpoints and act on the spec's errcode (docs/matrix.md).
      if (request.url.startsWith('/_matrix/')) return reply.code(404).send({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
      reply.code(404).send({ error: PlatformErrors.notFound.message, code: PlatformErrors.notFound.code, path: request.url.split('?')[0] });
    });
  },
  { name: 'orrery-errors', fastify: '5.x' },
);
