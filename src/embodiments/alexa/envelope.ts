/**
 * Alexa's request and response envelopes (https://developer.amazon.com/en-US/docs/alexa/custom-skills/request-and-response-json-reference.html;
 * research/smythos.md §7 "Alexa", §12 item 34), and a model's answer made speakable.
 */
import { z } from 'zod';

/** The parts of a request envelope Orrery reads; anything else is accepted and ignored. */
export const AlexaRequestEnvelope = z
  .object({
    version: z.string({ error: 'version must be a string' }),
    request: z
      .object({
        type: z.string({ error: 'request.type must be a string' }),
        requestId: z.string().optional(),
        timestamp: z.string().optional(),
        locale: z.string().optional(),
        intent: z
          .object({
            name: z.string(),
            slots: z.record(z.string(), z.object({ name: z.string().optional(), value: z.string().optional(), heardAs: z.string().optional() }).loose()).optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
  })
  .loose();

/** A parsed request envelope. */
export type AlexaRequest = z.infer<typeof AlexaRequestEnvelope>;

/** What the skill says: `{version:'1.0', sessionAttributes:{}, response:{outputSpeech, reprompt, shouldEndSession}}`. */
export function speech(text: string, options: { end?: boolean; reprompt?: string } = {}) {
  const end = options.end ?? false;
  return {
    version: '1.0',
    sessionAttributes: {},
    response: {
      outputSpeech: { type: 'PlainText', text },
      ...(end ? {} : { reprompt: { outputSpeech: { type: 'PlainText', text: options.reprompt ?? 'Is there anything else?' } } }),
      shouldEndSession: end,
    },
  };
}

/** Longest speech Orrery sends (Alexa takes 8,000 characters; the rest is cut at a sentence). */
export const SPEECH_MAX_CHARS = 6000;

/**
 * A model's answer as something a voice can say: code blocks, markdown marks, links' targets and bare
 * URLs dropped (the sentence's punctuation kept), a heading ended as a sentence so the voice pauses,
 * whitespace collapsed, cut at a sentence end below {@link SPEECH_MAX_CHARS}.
 */
export function speakable(text: string): string {
  let out = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S*[^\s.,;:!?)'"]/g, ' ')
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm, (_line, heading: string) => (/[.!?:]$/.test(heading) ? heading : `${heading}.`))
    .replace(/^[ \t]*[-*+][ \t]+/gm, '')
    .replace(/(\*\*|~~)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    // `_` and `*` mark emphasis only around words: snake_case and 2*3*4 stay as they are.
    .replace(/(?<!\w)(__|_|\*)(?=\S)(.+?)(?<=\S)\1(?!\w)/g, '$2')
    .replace(/\(\s*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ([.,;:!?])/g, '$1')
    .trim();
  if (out.length > SPEECH_MAX_CHARS) {
    const head = out.slice(0, SPEECH_MAX_CHARS);
    const end = Math.max(head.lastIndexOf('. '), head.lastIndexOf('! '), head.lastIndexOf('? '));
    out = end > 0 ? head.slice(0, end + 1) : head;
  }
  return out;
}
