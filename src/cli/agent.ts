/**
 * `orrery agent …` (issue 10 §5; DESIGN §3):
 *
 *   orrery agent run file.smyth --skill say [--input message=hi …] [--body '{"message":"hi"}'] [--trace]
 *       runs a skill of a `.smyth` file in this process — no server, no database — and prints the
 *       answer as JSON (exit 1 when the answer is not a 200). Memory lives for the run; models other
 *       than the offline `Echo` need OPENAI_BASE_URL/OPENAI_API_KEY; APICall may reach private
 *       addresses only with AGENT_HTTP_ALLOW_PRIVATE=true.
 *   orrery agent import file.smyth --user <owner> [--name N]   stores it on Orrery's database
 *   orrery agent export <agentId> [version] [--out file]
 *   orrery agent deploy <agentId> [version]
 *   orrery agent list [--user <owner>]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { AgentCaller } from '../agents/types.ts';
import { withConfigFlags } from './config-flags.ts';
import { withServices } from './with-services.ts';

const repeatable = (value: string, all: string[] = []) => [...all, value];

/** `k=v` pairs as an object; a value that parses as JSON is that value, else the text. @throws Error naming a bad pair */
export function parsePairs(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--input ${pair}: expected name=value`);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Plain text: kept as given.
    }
    out[pair.slice(0, at)] = value;
  }
  return out;
}

function fail(message: string): void {
  process.stderr.write(`orrery: ${message}\n`);
  process.exitCode = 1;
}

/** Runs one skill of a file in-process and prints the answer. */
async function runFile(file: string, options: { skill: string; input?: string[]; body?: string; method?: string; trace?: boolean }): Promise<void> {
  const [{ importAgent, findSkill }, { builtinComponents, isKnownComponentType }, { compileAgent }, { executeRun }, { createModelRouter }, { loadConfig }] =
    await Promise.all([
      import('../agents/definition.ts'),
      import('../agents/components/index.ts'),
      import('../agents/engine/compile.ts'),
      import('../agents/engine/execute.ts'),
      import('../llm/models.ts'),
      import('../config/load.ts'),
    ]);
  const { createMapMemory } = await import('../agents/engine/map-memory.ts');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as Error).message}`);
  }
  const { definition, problems } = importAgent(text, { isKnownType: isKnownComponentType });
  for (const p of problems) process.stderr.write(`${p.severity}: ${p.componentId ? `${p.componentId}${p.title ? ` (${p.title})` : ''}: ` : ''}${p.message}\n`);
  if (!definition) return fail(`${file} is not a runnable agent`);
  let values: Record<string, unknown>;
  try {
    values = { ...(options.body ? (JSON.parse(options.body) as Record<string, unknown>) : {}), ...parsePairs(options.input ?? []) };
  } catch (error) {
    return fail(error instanceof SyntaxError ? `--body is not JSON: ${error.message}` : (error as Error).message);
  }
  const endpoint = options.skill.replace(/^\/?(api\/)?/, '');
  const method = (options.method ?? findSkill(definition, 'POST', endpoint)?.method ?? findSkill(definition, 'GET', endpoint)?.method ?? 'POST').toUpperCase();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    return fail((error as Error).message);
  }
  const outcome = await executeRun({
    agent: compileAgent(definition, builtinComponents),
    request: { method, path: `/api/${endpoint}`, body: method === 'GET' ? {} : values, query: method === 'GET' ? values : {}, headers: {} },
    services: {
      memory: createMapMemory(),
      http: { allowPrivateNetwork: config.agents.httpAllowPrivate, timeoutMs: config.agents.httpTimeoutMs },
      generate: createModelRouter({ openAi: { ...(config.agents.openaiBaseUrl ? { baseUrl: config.agents.openaiBaseUrl } : {}), ...(config.agents.openaiApiKey ? { apiKey: config.agents.openaiApiKey } : {}) } }),
    },
    timeoutMs: config.agents.runTimeoutMs,
  });
  if (options.trace) {
    for (const c of outcome.calls) {
      process.stderr.write(`wave ${c.step + 1} ${c.componentName} ${c.componentId}${c.title ? ` (${c.title})` : ''} ${c.endedAt - c.startedAt} ms${c.error ? ` error: ${c.error}` : ''}\n`);
    }
  }
  process.stdout.write(JSON.stringify(outcome.data, null, 2) + '\n');
  if (outcome.status !== 200) process.exitCode = 1;
}

/** The caller the shell acts as: the named user, with an admin's reach (shell access is full trust). */
async function operator(accounts: { getUser(name: string): Promise<{ userId: string }> }, user: string | undefined): Promise<AgentCaller> {
  if (!user) return { userId: '', isAdmin: true };
  return { userId: (await accounts.getUser(user)).userId, isAdmin: true };
}

/** Builds the `agent` subcommand group. */
export function agentCommand(): Command {
  const agent = new Command('agent').description('run, import, export and deploy .smyth agents');
  agent.addCommand(
    new Command('run')
      .description('run a skill of a .smyth file in this process (no server) and print the answer as JSON')
      .argument('<file>', 'the .smyth file')
      .requiredOption('--skill <endpoint>', 'the skill: its endpoint (say, /api/say)')
      .option('--input <name=value>', 'an input; repeatable; a JSON value is parsed', repeatable)
      .option('--body <json>', 'inputs as one JSON object (--input wins on the same name)')
      .option('--method <method>', 'GET or POST (default: the skill’s own)')
      .option('--trace', 'print each component call to stderr')
      .action(runFile),
  );
  agent.addCommand(
    withConfigFlags(new Command('import'))
      .description("store a .smyth file as a new agent on Orrery's database")
      .argument('<file>', 'the .smyth file')
      .requiredOption('--user <username>', 'the owner')
      .option('--name <name>', 'the agent’s name (default: the file’s)')
      .action(async (file: string, options: Record<string, string | undefined>) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          return fail(`cannot read ${file}: ${(error as Error).message}`);
        }
        await withServices(options, async ({ accounts, agents }) => {
          const owner = await accounts.getUser(options.user!);
          const { agent: view, problems } = await agents.create({ userId: owner.userId, isAdmin: false }, text, options.name ? { name: options.name } : {});
          const lines = [`agent ${view.id} "${view.name}" owned by ${owner.userId}`];
          for (const s of view.skills) lines.push(`  ${s.method} ${s.path}`);
          for (const p of problems) lines.push(`  ${p.severity}: ${p.componentId ?? ''} ${p.message}`.trimEnd());
          return lines.join('\n');
        });
      }),
  );
  agent.addCommand(
    withConfigFlags(new Command('export'))
      .description('print (or write) an agent as a .smyth file')
      .argument('<agentId>')
      .argument('[version]', 'a deployed version (default: the draft)')
      .option('--out <file>', 'write to this file instead of stdout')
      .action(async (agentId: string, version: string | undefined, options: Record<string, string | undefined>) => {
        await withServices(options, async ({ agents }) => {
          const { text } = await agents.exportDocument({ userId: '', isAdmin: true }, agentId, version);
          if (!options.out) return text;
          writeFileSync(options.out, text);
          return `wrote ${options.out}`;
        });
      }),
  );
  agent.addCommand(
    withConfigFlags(new Command('deploy'))
      .description('freeze the draft as an immutable version (default: the next minor)')
      .argument('<agentId>')
      .argument('[version]', 'the version, e.g. 1.2 (default: the next minor)')
      .action(async (agentId: string, version: string | undefined, options: Record<string, string | undefined>) => {
        await withServices(options, async ({ agents }) => {
          const info = await agents.deploy({ userId: '', isAdmin: true }, agentId, version);
          return `deployed ${agentId} version ${info.version}`;
        });
      }),
  );
  agent.addCommand(
    withConfigFlags(new Command('list'))
      .description('list agents (of one owner with --user)')
      .option('--user <username>', 'only this owner’s agents')
      .action(async (options: Record<string, string | undefined>) => {
        await withServices(options, async ({ accounts, agents }) => {
          const caller = await operator(accounts, options.user);
          const list = await agents.list(options.user ? { ...caller, isAdmin: false } : caller);
          if (list.length === 0) return 'no agents';
          return list.map((a) => `${a.id}\t${a.name}\t${a.ownerId}\t${a.skillAccess}`).join('\n');
        });
      }),
  );
  return agent;
}
