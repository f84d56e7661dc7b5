/**
 * The step debugger of one agent page (issue 11 §6): one session at a time, driven from the skills'
 * Debug panels (Start, Step, Run, Stop), the selected component's Inject form and the live-debug
 * Attach; the model (debug-model.ts) the graph and the panels read; the monitor (debug-monitor.ts)
 * every call reports to. Calls never overlap: each waits for the one before (Stop excepted, which
 * also ends a Run between two steps).
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api.ts';
import { agents, errorText, type Agent, type AgentSkill, type SkillAnswer } from './agent-client.ts';
import { debugCalls, refusal } from './debug-client.ts';
import { useMonitor, type Monitor } from './debug-monitor.ts';
import { applyRead, applyStep, EMPTY_MODEL, injection, runOver, startModel, type DebugModel, type ReadAnswer, type StepAnswer } from './debug-model.ts';

/** Steps one Run takes at most before it pauses (a loop may not end by itself; Run again goes on). */
const RUN_MAX_STEPS = 500;

/** What the page's debugger offers its panels. */
export interface Debugger {
  model: DebugModel;
  /** A call is under way. */
  busy: boolean;
  /** Run is stepping. */
  running: boolean;
  /** The last thing that happened, in words (shown in a status line). */
  message: string | null;
  monitor: Monitor;
  /** The component whose input and output are shown. */
  selected: string | null;
  select(id: string | null): void;
  /** The skill a session runs or would run (the session's, else the first). */
  skill: AgentSkill | null;
  start(skill: AgentSkill, inputs: Record<string, unknown>): Promise<void>;
  step(): Promise<void>;
  run(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Inject `input`/`output` texts (JSON objects, empty: left out) into `id` and run that wave; with
   * `then: 'run'`, go on stepping to the end ("run from here").
   */
  inject(id: string, inputText: string, outputText: string, then: 'step' | 'run'): Promise<void>;
  /** Read the session live debug holds, if any, and make it the page's. */
  attach(): Promise<void>;
  /** Switch live debug; resolves with the agent as saved. */
  setLive(on: boolean): Promise<Agent | null>;
}

/** The debugger of `agent`; `onEnded` gets the run a session was recorded as, once it ends. */
export function useDebugger(agent: Agent, onEnded: (runId: string | null) => void): Debugger {
  const [model, setModel] = useState<DebugModel>(EMPTY_MODEL);
  const [busy, setBusy] = useState(false);
  const [running, setRunning] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const monitor = useMonitor(agent.id);
  const { ensure: ensureMonitor } = monitor;
  const ref = useRef<DebugModel>(EMPTY_MODEL);
  const cancelRun = useRef(false);
  /** Bumped by Stop and by a new session: answers of an older generation are dropped. */
  const generation = useRef(0);

  const skillOf = useCallback((endpoint: string | null) => agent.skills.find((s) => s.endpoint === endpoint) ?? agent.skills[0] ?? null, [agent.skills]);

  const set = useCallback((next: DebugModel) => {
    ref.current = next;
    setModel(next);
  }, []);

  /** The model after `answer` (a step's), or an error when it is not a 200; whether the session goes on. */
  const took = useCallback(
    (answer: SkillAnswer, gen: number, what: string): boolean => {
      if (gen !== generation.current) return false;
      if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
        set({ ...ref.current, error: refusal(answer) });
        setMessage(`${what} refused (${refusal(answer)}).`);
        return false;
      }
      const body = answer.body as StepAnswer;
      const next = applyStep(ref.current, body, answer.runId);
      set(next);
      if (body.expiredDbgSession) setMessage(`Session ${body.expiredDbgSession} is over or expired.`);
      else if (next.final) setMessage(`The session ended at step ${next.step ?? '?'}.`);
      else if (!next.session) setMessage('The session ended.');
      else setMessage(`${what}: step ${next.step ?? '?'}${next.ran.length ? `, ran ${next.ran.join(', ')}` : ''}.`);
      if (!next.session && !body.expiredDbgSession) onEnded(next.runId ?? answer.runId);
      return !runOver(body);
    },
    [onEnded, set],
  );

  /** Runs `work` as the one call under way; errors (unreachable server) become the message. */
  const exclusive = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : errorText(e, 'The debugger call failed.'));
    } finally {
      setBusy(false);
    }
  }, []);

  const start = useCallback(
    (skill: AgentSkill, inputs: Record<string, unknown>) =>
      exclusive(async () => {
        const gen = ++generation.current;
        const old = ref.current;
        const monitorId = await ensureMonitor();
        // A session left open is stopped: the page debugs one at a time.
        if (old.session) await debugCalls.stop(agent.id, skillOf(old.endpoint) ?? skill, old.session, monitorId).catch(() => undefined);
        set(startModel(skill.endpoint));
        const answer = await debugCalls.start(agent.id, skill, inputs, monitorId);
        if (!took(answer, gen, 'Started') || !ref.current.session) return;
        // The endpoint ran; the read shows what runs next.
        const read = await debugCalls.read(agent.id, skill, ref.current.session, monitorId);
        if (gen === generation.current && read.status === 200 && read.body && typeof read.body === 'object') set(applyRead(ref.current, read.body as ReadAnswer));
      }),
    [agent.id, exclusive, ensureMonitor, set, skillOf, took],
  );

  const stepOnce = useCallback(async (): Promise<boolean> => {
    const { session, endpoint } = ref.current;
    const skill = skillOf(endpoint);
    if (!session || !skill) return false;
    const gen = generation.current;
    const monitorId = await ensureMonitor();
    return took(await debugCalls.step(agent.id, skill, session, monitorId), gen, 'Stepped');
  }, [agent.id, ensureMonitor, skillOf, took]);

  const step = useCallback(() => exclusive(async () => void (await stepOnce())), [exclusive, stepOnce]);

  /** Steps until the session ends, fails, is stopped or has taken {@link RUN_MAX_STEPS}. */
  const runLoop = useCallback(async () => {
    cancelRun.current = false;
    setRunning(true);
    try {
      for (let i = 0; i < RUN_MAX_STEPS && !cancelRun.current; i++) if (!(await stepOnce())) return;
      if (ref.current.session && !cancelRun.current) setMessage(`Paused after ${RUN_MAX_STEPS} steps: Run again to go on.`);
    } finally {
      setRunning(false);
    }
  }, [stepOnce]);

  const run = useCallback(() => exclusive(runLoop), [exclusive, runLoop]);

  const stop = useCallback(async () => {
    const { session, endpoint } = ref.current;
    const skill = skillOf(endpoint);
    cancelRun.current = true;
    if (!session || !skill) return;
    const gen = ++generation.current;
    try {
      const answer = await debugCalls.stop(agent.id, skill, session, monitor.id ?? undefined);
      if (answer.status !== 200) {
        setMessage(`Stop refused (${refusal(answer)}).`);
        return;
      }
      if (gen !== generation.current) return;
      set(applyStep(ref.current, { ...(answer.body as StepAnswer), dbgSession: null, sessionClosed: true }, answer.runId));
      setMessage(`Session ${session} stopped.`);
      onEnded(ref.current.runId ?? answer.runId);
    } catch (e) {
      setMessage(errorText(e, 'Could not stop the session.'));
    }
  }, [agent.id, monitor.id, onEnded, set, skillOf]);

  const inject = useCallback(
    (id: string, inputText: string, outputText: string, then: 'step' | 'run') =>
      exclusive(async () => {
        let items;
        try {
          items = injection(id, inputText, outputText);
        } catch (e) {
          setMessage(e instanceof Error ? e.message : 'The injection is not valid.');
          return;
        }
        const current = ref.current;
        const skill = skillOf(current.endpoint);
        if (!skill) return;
        const gen = current.session ? generation.current : ++generation.current;
        if (!current.session) set(startModel(skill.endpoint));
        else set({ ...current, final: null });
        const monitorId = await ensureMonitor();
        const goesOn = took(await debugCalls.inject(agent.id, skill, current.session ?? '', items, monitorId), gen, `Injected into ${id}`);
        if (goesOn && then === 'run') await runLoop();
      }),
    [agent.id, exclusive, ensureMonitor, runLoop, set, skillOf, took],
  );

  const attach = useCallback(
    () =>
      exclusive(async () => {
        const { session, answer } = await debugCalls.held(agent.id);
        if (answer.status !== 200) {
          setMessage(`Attach refused (${refusal(answer)}).`);
          return;
        }
        if (!session) {
          setMessage('No live call is held for this agent.');
          return;
        }
        const gen = ++generation.current;
        const monitorId = await ensureMonitor();
        // The held call's skill: the endpoint component the read names, else the first skill.
        let skill = skillOf(null);
        if (!skill) return;
        const read = await debugCalls.read(agent.id, skill, session, monitorId);
        if (gen !== generation.current) return;
        if (read.status !== 200 || !read.body || typeof read.body !== 'object') {
          setMessage(`Could not read session ${session} (${refusal(read)}).`);
          return;
        }
        const state = (read.body as ReadAnswer).state ?? {};
        skill = agent.skills.find((s) => s.component_id in state) ?? skill;
        set(applyRead({ ...startModel(skill.endpoint), session, runId: read.runId }, read.body as ReadAnswer));
        setMessage(`Attached to the held session ${session}.`);
      }),
    [agent.id, agent.skills, exclusive, ensureMonitor, set, skillOf],
  );

  const setLive = useCallback(async (on: boolean) => {
    try {
      const saved = await agents.setDebugEnabled(agent.id, on);
      setMessage(on ? 'Live debug is on: plain calls of the draft are held until you step them.' : 'Live debug is off.');
      return saved;
    } catch (e) {
      setMessage(errorText(e, 'Could not switch live debug.'));
      return null;
    }
  }, [agent.id]);

  const skill = skillOf(model.endpoint);
  return useMemo(
    () => ({ model, busy, running, message, monitor, selected, select: setSelected, skill, start, step, run, stop, inject, attach, setLive }),
    [model, busy, running, message, monitor, selected, skill, start, step, run, stop, inject, attach, setLive],
  );
}
