/**
 * Creating the Alexa skill for an agent through Amazon's Skill Management API (SMAPI; research/smythos.md
 * §7 "Alexa": invocation name = the agent's name in lower case, intent `SmythosQuery` with an
 * `AMAZON.SearchQuery` slot `searchQuery`, endpoint `<origin>/agents/<agentId>/alexa`). It needs the
 * owner's SMAPI access token and Alexa vendor id, which Orrery never stores.
 */

/** Amazon's Skill Management API (the skill manifest and interaction model operations). */
export const SMAPI_BASE = 'https://api.amazonalexa.com';

/** Amazon refused, or could not be reached; the message says which and why. */
export class AlexaPublishError extends Error {
  override name = 'AlexaPublishError';
}

/** The skill manifest of an agent. */
export function skillManifest(input: { name: string; description: string; endpoint: string; vendorId: string }) {
  return {
    vendorId: input.vendorId,
    manifest: {
      manifestVersion: '1.0',
      publishingInformation: {
        locales: { 'en-US': { name: input.name.slice(0, 50), summary: input.description.slice(0, 160) || input.name, description: input.description || input.name, examplePhrases: [] } },
        category: 'ORGANIZERS_AND_ASSISTANTS',
        distributionCountries: [],
      },
      apis: { custom: { endpoint: { uri: input.endpoint, sslCertificateType: 'Trusted' } } },
    },
  };
}

/**
 * What a user says to open the skill: the agent's name in lower case (research §7), keeping only the
 * letters and spaces Alexa accepts; `my agent` for a name with none, `<x> agent` for a single letter.
 */
export function invocationNameOf(name: string): string {
  const invocation = name.toLowerCase().replace(/[^a-z ]+/g, ' ').replace(/\s+/g, ' ').trim() || 'my agent';
  return invocation.length >= 2 ? invocation : `${invocation} agent`;
}

/** The interaction model: the invocation name and the one free-form intent. */
export function interactionModel(name: string) {
  return {
    interactionModel: {
      languageModel: {
        invocationName: invocationNameOf(name),
        intents: [
          { name: 'SmythosQuery', slots: [{ name: 'searchQuery', type: 'AMAZON.SearchQuery' }], samples: ['ask {searchQuery}', 'tell me {searchQuery}'] },
          { name: 'AMAZON.StopIntent', samples: [] },
          { name: 'AMAZON.CancelIntent', samples: [] },
          { name: 'AMAZON.HelpIntent', samples: [] },
        ],
      },
    },
  };
}

/**
 * Create the skill and upload its interaction model; resolves to the new skill id.
 * @throws {AlexaPublishError} with Amazon's message, or the network failure (10 s per call)
 */
export async function publishSkill(input: { accessToken: string; vendorId: string; name: string; description: string; endpoint: string }): Promise<string> {
  const call = async (method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await fetch(`${SMAPI_BASE}${path}`, {
        method,
        headers: { authorization: input.accessToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new AlexaPublishError(`Amazon's Skill Management API could not be reached: ${(error as Error).message}`);
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new AlexaPublishError(`Amazon refused (HTTP ${res.status}): ${typeof answer.message === 'string' ? answer.message : 'no reason given'}`);
    return answer;
  };
  const created = await call('POST', '/v1/skills', skillManifest(input));
  const skillId = typeof created.skillId === 'string' ? created.skillId : '';
  if (!skillId) throw new AlexaPublishError('Amazon created no skill id');
  await call('PUT', `/v1/skills/${encodeURIComponent(skillId)}/stages/development/interactionModel/locales/en-US`, interactionModel(input.name));
  return skillId;
}
