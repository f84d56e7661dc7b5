/**
 * Who may call the mcp embodiment's routes, for the route-table walk (test/server/route-access.test.ts).
 * Embodiment routes are declared public and expected `agent`: the agent decides (its skill access), which this surface's own
 * tests check caller by caller; the walk's placeholder agent ids do not exist for anyone.
 */
export const MCP_ACCESS: Record<string, 'public' | 'user' | 'agent'> = {
  'POST /agents/:agentId/mcp': 'agent',
  'GET /agents/:agentId/mcp': 'agent',
  'DELETE /agents/:agentId/mcp': 'agent',
  'POST /mcp': 'agent',
  'GET /mcp': 'agent',
  'DELETE /mcp': 'agent',
  'GET /agents/:agentId/mcp/sse': 'agent',
  'GET /mcp/sse': 'agent',
  'GET /emb/mcp/sse': 'agent',
  // The session id is the credential's binding; without a known one: 404 `Transport not found`.
  'POST /emb/mcp/message': 'agent',
  'POST /mcp/message': 'agent',
};
