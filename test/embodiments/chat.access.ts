/**
 * Who may call the chat embodiment's routes, for the route-table walk (test/server/route-access.test.ts).
 * Embodiment routes are declared public and expected `agent`: the agent decides (its skill access), which
 * this surface's own tests check caller by caller (test/embodiments/chat.test.ts); the walk's placeholder
 * agent ids do not exist for anyone. The widget script is served to anyone, but only for an agent that
 * exists with its chat on: a placeholder is a 404 for every caller, as `agent` expects. The page itself,
 * `/agents/:agentId/chat`, is the web UI (src/server/web.ts), not a route of its own.
 */
export const CHAT_ACCESS: Record<string, 'public' | 'user' | 'agent'> = {
  'POST /agents/:agentId/chat/stream': 'agent',
  'GET /agents/:agentId/chat/config': 'agent',
  'GET /agents/:agentId/chat/widget.js': 'agent',
};
