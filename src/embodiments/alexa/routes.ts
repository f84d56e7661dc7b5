/**
 * Alexa (issue 12 item 5; research/smythos.md §7 "Alexa", §12 item 34): an agent as the web service of an
 * Alexa custom skill. Amazon calls with no credential of ours, so the gate is the owner switching Alexa on
 * (off by default) and the request's signature, checked as Amazon requires when `ALEXA_VERIFY_SIGNATURE`
 * is on (`auto`: in production). The agent's skills run as its owner. Speech is always a 200 envelope —
 * Alexa reads nothing else —; a request that is not Alexa's is a 400 `{error}`.
 *
 * | method | path | who |
 * |---|---|---|
 * | POST | /agents/:agentId/alexa, /alexa, /emb/alexa | Alexa (signed requests), when the owner switched it on |
 * | POST | /agents/:agentId/alexa/publish, /alexa/publish, /emb/alexa/publish | the agent's owner or an admin |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentRefOf, applyCors, callerOf, originOf, type EmbodimentRoutesOptions } from '../http.ts';
import { AlexaRequestEnvelope, speakable, speech, type AlexaRequest } from './envelope.ts';
import { AlexaPublishError, invocationNameOf, publishSkill } from './publish.ts';
import { AlexaVerificationError, createAlexaVerifier, fetchChainOverHttps, type AlexaVerifierDeps } from './verify.ts';

/** What the body parser keeps: the bytes the signature covers, and their JSON. */
interface RawJson {
  raw: Buffer;
  value: unknown;
}

/** The phrase SmythOS adds to a spoken question. */
export const SPEAKABLE_HINT = 'Return the response in speakable format';

/**
 * The embodiments' options, plus where the signature check gets its certificates: by default Amazon's
 * chain over HTTPS and Node's bundled roots; tests that mount these routes themselves give a CA of their
 * own (test/embodiments/alexa-signature.test.ts).
 */
export interface AlexaRoutesOptions extends EmbodimentRoutesOptions {
  alexaCertificates?: Pick<AlexaVerifierDeps, 'fetchChain' | 'trustedRoots'>;
}

/** Registers the routes at the root. */
export async function alexaRoutes(app: FastifyInstance, opts: AlexaRoutesOptions): Promise<void> {
  const config = { auth: 'public' as const };
  const hide = { hide: true };
  const verifier = createAlexaVerifier({ fetchChain: fetchChainOverHttps, ...opts.alexaCertificates, now: opts.now });

  // The signature covers the body's exact bytes: keep them (these routes only, this plugin's scope).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) => {
    const raw = body as Buffer;
    if (raw.length === 0) return done(null, { raw, value: undefined } satisfies RawJson);
    try {
      done(null, { raw, value: JSON.parse(raw.toString('utf8')) } satisfies RawJson);
    } catch {
      const error = Object.assign(new Error('The body is not JSON'), { statusCode: 400 });
      done(error, undefined);
    }
  });

  // Another content type (text/plain, a form) reaches the handler through the platform's parsers: no JSON.
  const bodyOf = (request: FastifyRequest): RawJson => {
    const body = request.body as Partial<RawJson> | undefined;
    return body && Buffer.isBuffer(body.raw) ? (body as RawJson) : { raw: Buffer.alloc(0), value: undefined };
  };

  async function skill(request: FastifyRequest, reply: FastifyReply) {
    const { raw, value } = bodyOf(request);
    const parsed = AlexaRequestEnvelope.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return reply.code(400).send({ error: `Not an Alexa request: ${issue.path.join('.') || 'body'} ${issue.message}` });
    }
    const envelope = parsed.data;
    if (opts.alexaVerifySignature) {
      try {
        await verifier.verify({
          certChainUrl: request.headers.signaturecertchainurl as string | undefined,
          signature: request.headers['signature-256'] as string | undefined,
          rawBody: raw,
          timestamp: envelope.request.timestamp,
        });
      } catch (error) {
        if (!(error instanceof AlexaVerificationError)) throw error;
        request.log.warn({ reason: error.message }, 'Alexa request refused');
        return reply.code(400).send({ error: `Not a verified Alexa request: ${error.message}` });
      }
    }
    const { agentId } = (request.params ?? {}) as { agentId?: string };
    const ref = agentRefOf(request, opts, agentId);
    if (!ref) return reply.code(404).send({ error: 'No agent: use /agents/<agentId>/alexa, or name it with X-AGENT-ID' });
    const opened = await opts.embodiments.openAsOwner(ref, 'alexa');
    await applyCors(request, reply, opts.embodiments, ref.agentId, 'alexa');
    if ('refused' in opened) {
      if (opened.refused === 'disabled') return reply.send(speech('Alexa is not enabled for this agent', { end: true }));
      return reply.code(opened.status === 500 ? 503 : opened.status).send({ error: opened.message });
    }
    return reply.send(await answer(request, envelope, opened));
  }

  async function answer(request: FastifyRequest, envelope: AlexaRequest, opened: Extract<Awaited<ReturnType<typeof opts.embodiments.openAsOwner>>, { loaded: unknown }>) {
    const { loaded, caller } = opened;
    const name = loaded.agent.name;
    const type = envelope.request.type;
    if (type === 'LaunchRequest') return speech(`Hello, I am ${name}. What would you like to know?`, { reprompt: 'What would you like to know?' });
    if (type === 'SessionEndedRequest') return { version: '1.0', response: {} };
    if (type !== 'IntentRequest') return { version: '1.0', response: {} };
    const intent = envelope.request.intent?.name ?? '';
    if (intent === 'AMAZON.StopIntent' || intent === 'AMAZON.CancelIntent') return speech('Goodbye.', { end: true });
    if (intent === 'AMAZON.HelpIntent') return speech(`Ask ${name} anything, for example: what can you do?`);
    const slot = envelope.request.intent?.slots?.searchQuery;
    const query = (slot?.value ?? slot?.heardAs ?? '').trim();
    if (!query) return speech('Sorry, I did not catch that. What would you like to know?');
    try {
      const result = await opts.embodiments.converse(loaded, { messages: [{ role: 'user', content: `${query}\n${SPEAKABLE_HINT}` }], caller, correlationId: request.id });
      return speech(speakable(result.text) || 'I have no answer to that.');
    } catch (error) {
      request.log.warn({ err: error, agent_id: loaded.agent.id }, 'Alexa: the conversation failed');
      return speech('Sorry, I could not answer that just now. Please try again later.');
    }
  }

  async function publish(request: FastifyRequest, reply: FastifyReply) {
    const caller = callerOf(request, opts);
    if (!caller.userId) return reply.code(401).send({ error: 'Publishing an Alexa skill takes the agent owner\'s credential' });
    const { agentId } = (request.params ?? {}) as { agentId?: string };
    const ref = agentRefOf(request, opts, agentId);
    const mine = ref ? (await opts.embodiments.agentsOf({ userId: caller.userId, admin: caller.admin })).find((a) => a.id === ref.agentId) : undefined;
    if (!ref || !mine) return reply.code(404).send({ error: `Agent ${ref?.agentId ?? ''} not found`.trim() });
    await applyCors(request, reply, opts.embodiments, mine.id, 'alexa');
    const body = (bodyOf(request).value ?? {}) as Record<string, unknown>;
    const missing = ['accessToken', 'vendorId'].filter((k) => typeof body[k] !== 'string' || !(body[k] as string).trim());
    if (missing.length) {
      return reply.code(400).send({ error: `Amazon credentials missing: ${missing.join(', ')} (an SMAPI access token and your Alexa vendor id)` });
    }
    const endpoint = `${originOf(request, opts)}/agents/${mine.id}/alexa`;
    try {
      const skillId = await publishSkill({
        accessToken: (body.accessToken as string).trim(),
        vendorId: (body.vendorId as string).trim(),
        name: mine.name,
        description: `${mine.name}, an Orrery agent`,
        endpoint,
      });
      return reply.send({ skill_id: skillId, invocation_name: invocationNameOf(mine.name), endpoint });
    } catch (error) {
      if (!(error instanceof AlexaPublishError)) throw error;
      return reply.code(502).send({ error: error.message });
    }
  }

  for (const url of ['/agents/:agentId/alexa', '/alexa', '/emb/alexa']) app.post(url, { config, schema: hide }, skill);
  for (const url of ['/agents/:agentId/alexa/publish', '/alexa/publish', '/emb/alexa/publish']) app.post(url, { config, schema: hide }, publish);
}
