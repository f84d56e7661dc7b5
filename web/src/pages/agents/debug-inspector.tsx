/**
 * What the step debugger shows under the graph (issue 11 §6): the selected component's latest input
 * and output (from the reads and step results, debug-model.ts) with its Inject form — JSON for its
 * input and output, prefilled with the last values known, sent as `X-DEBUG-INJ` to run the next wave
 * from it — then the session's final result once it ends, and the live log of the agent's monitor.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Debugger } from './debug-session.ts';
import { formText, type ComponentDebug } from './debug-model.ts';
import type { ComponentNode } from './graph-model.ts';
import { jsonText } from './json-view.tsx';

/** A value in full, or a dash when nothing is known. */
function Value({ value, label }: { value: unknown; label: string }) {
  if (value === undefined) return <p className="muted" aria-label={label}>—</p>;
  return <pre aria-label={label}>{jsonText(value)}</pre>;
}

/** The Inject form of component `id`. */
function InjectForm({ id, known, dbg }: { id: string; known: ComponentDebug | undefined; dbg: Debugger }) {
  const [input, setInput] = useState(() => formText(known?.input));
  const [output, setOutput] = useState(() => formText(known?.output));
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Which button sent the form: "run" goes on to the end, "step" stops after the injected wave.
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    await dbg.inject(id, input, output, submitter?.value === 'step' ? 'step' : 'run');
  }

  return (
    <form className="debug-inject" aria-label={`Inject into ${id}`} onSubmit={(e) => void submit(e)}>
      <p className="hint">
        The next wave runs {id} only, in {dbg.model.session ? <code>{dbg.model.session}</code> : 'a new session'}: a non-empty output is used as it is,
        without running the component; an input alone runs it on that input. JSON objects keyed by port name; leave a field empty to leave it out.
      </p>
      <label htmlFor={`inject-${id}-input`}>Injected input</label>
      <textarea id={`inject-${id}-input`} rows={4} value={input} onChange={(e) => setInput(e.target.value)} spellCheck={false} />
      <label htmlFor={`inject-${id}-output`}>Injected output</label>
      <textarea id={`inject-${id}-output`} rows={4} value={output} onChange={(e) => setOutput(e.target.value)} spellCheck={false} />
      <div className="row">
        <button type="submit" value="run" disabled={dbg.busy}>
          Inject and run from here
        </button>
        <button type="submit" value="step" className="secondary" disabled={dbg.busy}>
          Inject and step
        </button>
      </div>
    </form>
  );
}

/** The inspector: selected component, final result, live log. */
export function DebugInspector({ dbg, nodes }: { dbg: Debugger; nodes: ComponentNode[] }) {
  const { model, selected, monitor } = dbg;
  const node = nodes.find((n) => n.id === selected);
  const known = selected ? model.components[selected] : undefined;
  const log = useRef<HTMLOListElement>(null);
  // The log follows its newest line, unless the reader scrolled up to read an older one.
  const following = useRef(true);
  useEffect(() => {
    const list = log.current;
    if (list && following.current) list.scrollTop = list.scrollHeight;
  }, [monitor.lines]);
  const marks = selected ? [known?.active && 'runs next', model.ran.includes(selected) && 'ran in the last step', known?.status && `status ${known.status}`].filter(Boolean) : [];

  return (
    <div className="debug-inspector">
      <section className="panel" aria-labelledby="debug-component-title">
        <div className="row">
          <h3 id="debug-component-title" className="agent-skill-name">
            Component
          </h3>
          <select aria-label="Component" value={selected ?? ''} onChange={(e) => dbg.select(e.target.value || null)} className="debug-select">
            <option value="">— pick one, or click it in the graph —</option>
            {nodes.map((n) => (
              <option key={n.id} value={n.id}>
                {n.data.title} ({n.id}){model.components[n.id]?.active ? ' · next' : ''}
                {model.ran.includes(n.id) ? ' · ran' : ''}
              </option>
            ))}
          </select>
        </div>
        {node && selected && (
          <>
            <p aria-label={`State of ${selected}`}>
              <strong>{node.data.title}</strong> <span className="muted">
                {node.data.type} · {selected}
              </span>
              {marks.length > 0 ? ` · ${marks.join(' · ')}` : ''}
              {known?.step !== undefined ? ` · step ${known.step}` : ''}
            </p>
            <div className="debug-io">
              <div>
                <h4>Input</h4>
                <Value value={known?.input} label={`Input of ${selected}`} />
              </div>
              <div>
                <h4>Output</h4>
                <Value value={known?.output} label={`Output of ${selected}`} />
              </div>
            </div>
            {known?.error && (
              <p className="error" aria-label={`Error of ${selected}`}>
                {known.error}
              </p>
            )}
            <details className="debug-inject-box" open={!!model.session}>
              <summary>Inject and run from here</summary>
              {/* Keyed on what it prefills from, so each step brings the newest values. */}
              <InjectForm key={`${selected}-${model.session}-${model.step}`} id={selected} known={known} dbg={dbg} />
            </details>
          </>
        )}
      </section>

      {model.final && (
        <section className="panel">
          <h3 className="agent-skill-name">
            Final result
          </h3>
          <p className={model.final.status !== null && model.final.status >= 400 ? 'error' : 'muted'}>
            {model.final.status !== null ? `HTTP ${model.final.status}` : 'The session ended'}
            {model.runId && (
              <>
                {' '}
                · run <code>{model.runId}</code>
              </>
            )}
          </p>
          <pre aria-label="Final result">{jsonText(model.final.result)}</pre>
        </section>
      )}

      <section className="panel" aria-labelledby="debug-log-title">
        <div className="row">
          <h3 id="debug-log-title" className="agent-skill-name">
            Live log
          </h3>
          <span className={`live${monitor.state === 'open' ? ' on' : ''}`}>
            {monitor.state === 'open' ? `monitor ${monitor.id}` : monitor.state === 'connecting' ? 'connecting…' : monitor.state === 'failed' ? 'monitor unavailable' : 'opens with the first debug call'}
          </span>
          <button type="button" className="secondary small" onClick={monitor.clear} disabled={monitor.lines.length === 0}>
            Clear log
          </button>
        </div>
        {monitor.lines.length === 0 ? (
          <p className="muted">No events yet.</p>
        ) : (
          <ol
            className="debug-log"
            aria-label="Live log"
            ref={log}
            onScroll={(e) => {
              const list = e.currentTarget;
              following.current = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
            }}
          >
            {monitor.lines.map((l) => (
              <li key={l.key} data-kind={l.kind} data-source={l.source} {...(l.componentId ? { 'data-component': l.componentId } : {})}>
                {l.text}
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
