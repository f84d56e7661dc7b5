/**
 * Small `.smyth` agents built in code for engine tests: components with named ports, connections by
 * name (both SmythOS's engine and Orrery resolve names), in the exported file's shape.
 */

/** A component spec: type, config, input names (`name?` = optional), output names (`name!` = default). */
export interface Spec {
  id: string;
  name: string;
  data?: Record<string, unknown>;
  inputs?: string[];
  outputs?: string[];
  types?: Record<string, string>;
}

/** A POST skill whose body fields are outputs `body.<field>`. */
export function endpoint(id: string, skill: string, fields: string[], method = 'POST'): Spec {
  const prefix = method === 'GET' ? 'query' : 'body';
  return {
    id,
    name: 'APIEndpoint',
    data: { endpoint: skill, method, description: '', ai_exposed: true, summary: '' },
    inputs: fields.map((f) => `${f}?`),
    outputs: ['headers!', 'body!', 'query!', ...fields.map((f) => `${prefix}.${f}`)],
  };
}

/** A `.smyth` agent from specs and `[source, output, target, input]` wires. */
export function agent(specs: Spec[], wires: [string, string, string, string][], extra: Record<string, unknown> = {}) {
  return {
    version: '1.0.0',
    id: 'test-agent',
    name: 'test agent',
    behavior: '',
    components: specs.map((s) => ({
      id: s.id,
      name: s.name,
      title: s.id,
      displayName: s.name,
      data: s.data ?? {},
      inputs: (s.inputs ?? []).map((raw, index) => ({
        name: raw.replace(/\?$/, ''),
        type: s.types?.[raw.replace(/\?$/, '')] ?? 'Any',
        optional: raw.endsWith('?'),
        index,
        default: false,
      })),
      outputs: (s.outputs ?? []).map((raw, index) => {
        const name = raw.replace(/!$/, '');
        return { name, index, default: raw.endsWith('!'), ...(name.includes('.') ? { expression: name } : {}) };
      }),
    })),
    connections: wires.map(([sourceId, sourceIndex, targetId, targetIndex]) => ({ sourceId, sourceIndex, targetId, targetIndex })),
    ...extra,
  };
}
