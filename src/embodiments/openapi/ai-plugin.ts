/**
 * The legacy ChatGPT plugin manifest, `/.well-known/ai-plugin.json` (research/smythos.md §7 "ChatGPT":
 * the original built it only for the chatbot's `/chat-configs` and mounted no `/.well-known` route;
 * smythos-studio `chatgpt.helper.ts`, `ai-plugin.tpl.json`). Fields within OpenAI's manifest limits:
 * `name_for_human` ≤ 20 characters, `name_for_model` ≤ 50 of `[A-Za-z0-9_]`, `description_for_human`
 * ≤ 100 and `description_for_model` ≤ 8000, descriptions cut at a sentence.
 */
import type { AgentDefinition } from '../../agents/definition.ts';
import { cutAtSentence } from './gpt.ts';

/** The manifest (schema_version v1). */
export interface AiPluginManifest {
  schema_version: 'v1';
  name_for_human: string;
  name_for_model: string;
  description_for_human: string;
  description_for_model: string;
  /** `none` for a public agent; else a bearer key ChatGPT sends (`service_http`). */
  auth: { type: 'none' } | { type: 'service_http'; authorization_type: 'bearer'; verification_tokens: Record<string, string> };
  api: { type: 'openapi'; url: string; is_user_authenticated: false };
  logo_url: string;
  contact_email: string;
  legal_info_url: string;
}

/** What the manifest says. */
export interface AiPluginInput {
  name: string;
  definition: Pick<AgentDefinition, 'shortDescription' | 'behavior' | 'description'>;
  /** The skills need a credential (skill access not `public`). */
  secured: boolean;
  /** The GPT document: `<origin>/.well-known/openapi.json` or `<origin>/agents/<id>/api-docs/openapi-gpt.json`. */
  openapiUrl: string;
  logoUrl: string;
  /** Where the legal information lives (the original left it empty). */
  legalInfoUrl: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** `name` as a model-facing identifier: runs of other characters become `_`; `agent` when nothing is left. */
export function nameForModel(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 50) || 'agent';
}

/** The manifest of an agent (the original's fallbacks: `description` for either description). */
export function aiPluginManifest(input: AiPluginInput): AiPluginManifest {
  const { definition } = input;
  const forHuman = text(definition.shortDescription) || text(definition.description) || `The skills of ${input.name}`;
  const forModel = text(definition.behavior) || text(definition.description) || forHuman;
  return {
    schema_version: 'v1',
    // By code point: a cut must not split a character.
    name_for_human: Array.from(input.name).slice(0, 20).join(''),
    name_for_model: nameForModel(input.name),
    description_for_human: cutAtSentence(forHuman, 100),
    description_for_model: cutAtSentence(forModel, 8000),
    auth: input.secured ? { type: 'service_http', authorization_type: 'bearer', verification_tokens: {} } : { type: 'none' },
    api: { type: 'openapi', url: input.openapiUrl, is_user_authenticated: false },
    logo_url: input.logoUrl,
    contact_email: '',
    legal_info_url: input.legalInfoUrl,
  };
}
