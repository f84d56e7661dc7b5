/**
 * Who may call the alexa embodiment's routes, for the route-table walk (test/server/route-access.test.ts).
 * Embodiment routes are declared public and expected `agent`: the agent decides (its skill access), which this surface's own
 * tests check caller by caller; the walk's placeholder agent ids do not exist for anyone.
 */
export const ALEXA_ACCESS: Record<string, 'public' | 'user' | 'agent'> = {
  // Amazon calls these with no credential of ours: the owner's switch and the signature are the gate.
  'POST /agents/:agentId/alexa': 'public',
  'POST /alexa': 'public',
  'POST /emb/alexa': 'public',
  // The owner or an admin; anyone else 401 (no credential) or 404 (not theirs), checked by the handler.
  'POST /agents/:agentId/alexa/publish': 'agent',
  'POST /alexa/publish': 'agent',
  'POST /emb/alexa/publish': 'agent',
};
