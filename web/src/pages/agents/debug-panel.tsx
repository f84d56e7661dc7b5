/**
 * The step debugger's controls on the agent page (issue 11 §6): the Live debug switch with Attach
 * (the call live debug holds), then one Debug panel per skill — its inputs (typed as in the Run form,
 * skill-form.tsx `inputValue`) and Start, Step, Run, Stop — and the session's status line. Step, Run
 * and Stop act on the page's one session, so they are live only in the panel of the skill it runs.
 */
import { useState, type FormEvent } from 'react';
import type { Agent, AgentSkill } from './agent-client.ts';
import type { Debugger } from './debug-session.ts';
import { jsonText } from './json-view.tsx';
import { inputValue } from './skill-form.tsx';

/** One skill's Debug panel. */
function SkillDebug({ skill, dbg }: { skill: AgentSkill; dbg: Debugger }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const fieldId = (name: string) => `debug-${skill.component_id}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const { model, busy, running } = dbg;
  const mine = model.endpoint === skill.endpoint && model.session !== null;

  function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const inputs: Record<string, unknown> = {};
    for (const input of skill.inputs) {
      const text = values[input.name] ?? '';
      if (text !== '') inputs[input.name] = inputValue(input, text);
    }
    void dbg.start(skill, inputs);
  }

  return (
    <article className="panel debug-skill" aria-label={`Debug ${skill.endpoint}`}>
      <h3 className="agent-skill-name">
        Debug <code>{skill.endpoint}</code>
        {mine && (
          <span className="badge debug-session-badge">
            session {model.session} · step {model.step ?? '—'}
          </span>
        )}
      </h3>
      <form className="agent-run" aria-label={`Debug ${skill.endpoint} inputs`} onSubmit={start}>
        {skill.inputs.length === 0 && <p className="muted agent-wide">This skill takes no inputs.</p>}
        {skill.inputs.map((input) => (
          <div className="agent-field" key={input.name}>
            <label htmlFor={fieldId(input.name)}>{input.name}</label>
            <input
              id={fieldId(input.name)}
              value={values[input.name] ?? ''}
              onChange={(e) => setValues((v) => ({ ...v, [input.name]: e.target.value }))}
              placeholder={input.defaultVal !== undefined && input.defaultVal !== '' ? `default: ${jsonText(input.defaultVal)}` : undefined}
            />
            <p className="hint">
              {input.type ?? 'Any'}
              {input.optional ? ', optional' : ''}
            </p>
          </div>
        ))}
        <div className="row agent-wide debug-buttons">
          <button type="submit" disabled={busy} title="Start a debug session: only the endpoint runs">
            Start
          </button>
          <button type="button" disabled={busy || !mine} onClick={() => void dbg.step()} title="Run the next wave">
            Step
          </button>
          <button type="button" disabled={busy || !mine} onClick={() => void dbg.run()} title="Step until the session ends">
            {running ? 'Running…' : 'Run'}
          </button>
          <button type="button" className="secondary" disabled={!mine} onClick={() => void dbg.stop()} title="End the session">
            Stop
          </button>
        </div>
      </form>
    </article>
  );
}

/** The debugger's controls: live debug, a Debug panel per skill, the status line; `onLiveSwitched` hears the saved switch. */
export function DebugControls({ agent, dbg, onLiveSwitched }: { agent: Agent; dbg: Debugger; onLiveSwitched: (on: boolean) => void }) {
  const [live, setLive] = useState(agent.debug_enabled);
  const [switching, setSwitching] = useState(false);
  const { model } = dbg;

  async function toggle(on: boolean) {
    // Shown at once, put back if the server refuses it.
    setLive(on);
    setSwitching(true);
    const saved = await dbg.setLive(on);
    setSwitching(false);
    setLive(saved ? saved.debug_enabled : !on);
    if (saved) onLiveSwitched(saved.debug_enabled);
  }

  return (
    <div className="debug-controls">
      <p className="muted">
        Step a skill wave by wave: Start runs its endpoint only, Step the next wave, Run steps to the end, Stop ends the session. The graph below marks
        what runs next and what just ran; click a component to see its input and output, or to inject values and run from it.
      </p>
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={live} disabled={switching} onChange={(e) => void toggle(e.target.checked)} />
          Live debug
        </label>
        <button type="button" className="secondary small" disabled={dbg.busy} onClick={() => void dbg.attach()}>
          Attach
        </button>
        <span className="hint">
          {live ? 'On: a plain call of a draft skill (the Run forms above too) waits here until you step it to its end.' : 'Off: calls run straight through.'}
        </span>
      </div>
      {agent.skills.map((s) => (
        <SkillDebug key={s.component_id} skill={s} dbg={dbg} />
      ))}
      <p role="status" aria-label="Debugger status" className="debug-status">
        {model.session ? (
          <>
            Session <code>{model.session}</code> on <code>{model.endpoint}</code> · step {model.step ?? '—'}
            {model.ran.length > 0 && <> · ran {model.ran.join(', ')}</>}
          </>
        ) : model.closed ? (
          <>Session over{model.step !== null ? ` after step ${model.step}` : ''}.</>
        ) : (
          'No debug session.'
        )}{' '}
        {dbg.message && <span className="muted">{dbg.message}</span>}
      </p>
      {model.error && (
        <p className="error" role="alert">
          {model.error}
        </p>
      )}
    </div>
  );
}
