/**
 * Who may call the openapi embodiment's routes, for the route-table walk (test/server/route-access.test.ts).
 * Embodiment routes are declared public and expected `agent`: the agent decides (its skill access), which this surface's own
 * tests check caller by caller; the walk's placeholder agent ids do not exist for anyone.
 */
export const OPENAPI_ACCESS: Record<string, 'public' | 'user' | 'agent'> = {
  ...Object.fromEntries(
    [
      '/api-docs/openapi.json',
      '/emb/api/openapi.json',
      '/agents/:agentId/api-docs/openapi.json',
      '/api-docs/openapi-llm.json',
      '/emb/api/openapi-llm.json',
      '/agents/:agentId/api-docs/openapi-llm.json',
      '/api-docs/openapi-gpt.json',
      '/emb/chatgpt/openapi-gpt.json',
      '/.well-known/openapi.json',
      '/agents/:agentId/api-docs/openapi-gpt.json',
      '/swagger',
      '/emb/swagger',
      '/agents/:agentId/swagger',
      '/postman',
      '/emb/postman',
      '/agents/:agentId/postman',
      '/.well-known/ai-plugin.json',
      '/agents/:agentId/.well-known/ai-plugin.json',
    ].map((url) => [`GET ${url}`, 'agent' as const]),
  ),
  // Swagger UI's static files.
  'GET /swagger/assets/:file': 'public',
};
