/**
 * A "Run" form for one skill, built from its APIEndpoint inputs: a text field per input (its type,
 * default and whether it is optional shown beside). Values go as strings — the endpoint converts them
 * by type as SmythOS does (`"1"` → 1 for a Number) — except for Object and Array inputs, whose
 * JSON-looking text is sent parsed. Empty fields are left out so the endpoint's defaults apply. The
 * answer is SmythOS's result JSON (any shape, or text) with the run it recorded.
 */
import { useState, type FormEvent } from 'react';
import { agents, errorText, type AgentSkill, type SkillAnswer, type SkillInput } from './agent-client.ts';
import { jsonText } from './json-view.tsx';

const STRUCTURED = new Set(['object', 'array']);

/** The value sent for `text` typed into input `input`. */
export function inputValue(input: SkillInput, text: string): unknown {
  const trimmed = text.trim();
  if (STRUCTURED.has(String(input.type ?? '').toLowerCase()) && /^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // Not JSON after all: sent as typed, and the endpoint says what is wrong with it.
    }
  }
  return text;
}

/** The Run form of `skill` on agent `agentId`; `onRan` gets the run id the answer named. */
export function SkillForm({ agentId, skill, onRan }: { agentId: string; skill: AgentSkill; onRan: (runId: string | null) => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<SkillAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fieldId = (name: string) => `skill-${skill.component_id}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');

  async function run(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      const inputs: Record<string, unknown> = {};
      for (const input of skill.inputs) {
        const text = values[input.name] ?? '';
        if (text !== '') inputs[input.name] = inputValue(input, text);
      }
      const result = await agents.runSkill(agentId, skill, inputs);
      setAnswer(result);
      onRan(result.runId);
    } catch (e) {
      setError(errorText(e, 'Could not run the skill.'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="agent-run" aria-label={`Run ${skill.endpoint}`} onSubmit={(e) => void run(e)}>
      {skill.inputs.length === 0 && <p className="muted agent-wide">This skill takes no inputs.</p>}
      {skill.inputs.map((input) => (
        <div className="agent-field" key={input.name}>
          <label htmlFor={fieldId(input.name)}>{input.name}</label>
          <input
            id={fieldId(input.name)}
            value={values[input.name] ?? ''}
            onChange={(e) => setValues((v) => ({ ...v, [input.name]: e.target.value }))}
            placeholder={input.defaultVal !== undefined && input.defaultVal !== '' ? `default: ${jsonText(input.defaultVal)}` : undefined}
            aria-describedby={`${fieldId(input.name)}-hint`}
          />
          <p className="hint" id={`${fieldId(input.name)}-hint`}>
            {input.type ?? 'Any'}
            {input.optional ? ', optional' : ''}
            {input.description ? ` — ${String(input.description)}` : ''}
          </p>
        </div>
      ))}
      <button type="submit" disabled={busy} aria-label={`Run ${skill.endpoint}`}>
        {busy ? 'Running…' : 'Run'}
      </button>
      {error && (
        <p className="error agent-wide" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <div className="agent-wide">
          <p className={answer.status >= 400 ? 'error' : 'muted'}>
            HTTP {answer.status}
            {answer.runId && (
              <>
                {' '}
                · run <code>{answer.runId}</code>
              </>
            )}
          </p>
          <pre aria-label={`Answer of ${skill.endpoint}`}>{typeof answer.body === 'string' ? answer.body : jsonText(answer.body)}</pre>
        </div>
      )}
    </form>
  );
}
