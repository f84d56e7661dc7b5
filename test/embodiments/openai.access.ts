/**
 * Who may call the openai embodiment's routes, for the route-table walk (test/server/route-access.test.ts).
 * Embodiment routes are declared public and expected `agent`: the agent decides (its skill access), which this surface's own
 * tests check caller by caller; the walk's placeholder agent ids do not exist for anyone.
 */
export const OPENAI_ACCESS: Record<string, 'public' | 'user' | 'agent'> = Object.fromEntries(
  ['/v1', '/_openai/v1', '/emb/openai/v1'].flatMap((prefix) => [
    [`POST ${prefix}/chat/completions`, 'agent'],
    [`POST ${prefix}/responses`, 'agent'],
    [`GET ${prefix}/models`, 'agent'],
    [`GET ${prefix}/models/:model`, 'agent'],
  ]),
);
