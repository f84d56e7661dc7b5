/**
 * The problems an import found (src/agents/definition: errors refuse the file, warnings do not),
 * each with the component it names and where in the document it is.
 */
import type { AgentProblem } from './agent-client.ts';

/** A list of problems; nothing when there are none. `label`: the list's accessible name. */
export function ProblemList({ problems, label }: { problems: AgentProblem[]; label: string }) {
  if (!problems.length) return null;
  return (
    <ul className="agent-problems" aria-label={label}>
      {problems.map((p, i) => (
        <li key={i} className={p.severity === 'error' ? 'error' : undefined}>
          <span className="badge">{p.severity}</span>{' '}
          {/* The importer's messages mostly name the component already ("Component "EP" (APIEndpoint): …"). */}
          {p.component_id && !p.message.includes(`"${p.component_id}"`) && (
            <>
              component <code>{p.component_id}</code>
              {p.title && <> ({p.title})</>}:{' '}
            </>
          )}
          {p.message} <span className="muted">at {p.path}</span>
        </li>
      ))}
    </ul>
  );
}
