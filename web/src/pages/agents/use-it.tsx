/**
 * The agent page's "Use it" section (issue 12 item 7; docs/embodiments.md): every way to reach the agent
 * besides its skills — the OpenAI-compatible base URL and model, the MCP URLs, Swagger, the OpenAPI and
 * GPT Actions documents, the Postman download, the chat page and its widget, the Alexa endpoint — each
 * with a copy button, how to authenticate for the agent's skill access, and the settings: a switch per
 * embodiment, its allowed browser origins, the chat model.
 */
import { useState, type ReactNode } from 'react';
import { agents, errorText, type Agent, type EmbodimentName, type EmbodimentsPatch, type SkillAccess } from './agent-client.ts';

const LABELS: Record<EmbodimentName, string> = {
  openai: 'OpenAI-compatible API',
  mcp: 'MCP server',
  openapi: 'OpenAPI, Swagger, Postman',
  chat: 'Chat page and widget',
  alexa: 'Alexa skill',
};
const ORDER: EmbodimentName[] = ['openai', 'mcp', 'openapi', 'chat', 'alexa'];

/** Copy `text` to the clipboard (a hidden textarea when the Clipboard API is not allowed). */
async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** A value with its copy button and "Copied" feedback. */
function Copyable({ label, value, href }: { label: string; value: string; href?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="use-it-row">
      <span className="use-it-label">{label}</span>
      {href ? (
        <a href={href} target="_blank" rel="noreferrer">
          <code>{value}</code>
        </a>
      ) : (
        <code>{value}</code>
      )}
      <button
        type="button"
        className="secondary"
        aria-label={`Copy ${label}`}
        onClick={() =>
          void copy(value).then(() => {
            setCopied(true);
            window.setTimeout(() => setCopied(false), 1500);
          })
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** One embodiment: its switch, its URLs and its allowed origins. */
function Embodiment({ agent, name, save, children }: { agent: Agent; name: EmbodimentName; save: (patch: EmbodimentsPatch) => Promise<boolean>; children: ReactNode }) {
  const setting = agent.embodiments[name];
  const [origin, setOrigin] = useState('');
  return (
    <article className="panel" aria-label={LABELS[name]}>
      <div className="row">
        <h3>{LABELS[name]}</h3>
        <label>
          <input type="checkbox" checked={setting.enabled} onChange={(e) => void save({ [name]: { enabled: e.target.checked } })} /> on
        </label>
      </div>
      {setting.enabled ? children : <p className="muted">Switched off: its URLs answer 404.</p>}
      {name !== 'alexa' && (
        <div className="row" aria-label={`${LABELS[name]} allowed origins`}>
          <span className="muted">Browser origins:</span>
          {setting.allowed_origins.length === 0 && <span className="muted">none (servers and CLIs need none)</span>}
          {setting.allowed_origins.map((o) => (
            <span className="badge" key={o}>
              {o}{' '}
              <button type="button" className="link" aria-label={`Remove ${o}`} onClick={() => void save({ [name]: { allowed_origins: setting.allowed_origins.filter((x) => x !== o) } })}>
                ×
              </button>
            </span>
          ))}
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!origin.trim()) return;
              void save({ [name]: { allowed_origins: [...setting.allowed_origins, origin.trim()] } }).then((ok) => ok && setOrigin(''));
            }}
          >
            <input aria-label={`Add an origin to ${LABELS[name]}`} placeholder="https://shop.example" value={origin} onChange={(e) => setOrigin(e.target.value)} />
            <button type="submit" className="secondary">
              Add
            </button>
          </form>
        </div>
      )}
    </article>
  );
}

/** How a caller authenticates, by skill access. */
function authHelp(agent: Agent): string {
  if (agent.skill_access === 'public') return 'Anyone may call this agent: no key is needed (clients that insist on one may send any).';
  if (agent.skill_access === 'key') return `Send the vault key ${agent.skill_key_name ?? 'API_KEY'} as "Authorization: Bearer <key>", or your own access token.`;
  return 'Only you (and admins) may call it: send an access token of yours as "Authorization: Bearer orr_…" (Account → Access tokens, or POST /api/auth/tokens).';
}

/** A new random API key: `ok_` and 32 random bytes, base64url. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `ok_${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** Who may call: the auth mode of the skills and every embodiment, and the agent's API key in `key` mode. */
function Access({ agent, onChanged, onError }: { agent: Agent; onChanged: (agent: Agent) => void; onError: (message: string | null) => void }) {
  const [shown, setShown] = useState<string | null>(null);
  const keyName = agent.skill_key_name ?? 'API_KEY';
  return (
    <div className="row">
      <label>
        Who may call{' '}
        <select
          value={agent.skill_access}
          onChange={(e) => {
            onError(null);
            agents.setSkillAccess(agent.id, e.target.value as SkillAccess).then(onChanged, (err: unknown) => onError(errorText(err, 'Could not change who may call.')));
          }}
        >
          <option value="owner">only me (access tokens)</option>
          <option value="key">anyone with the agent key</option>
          <option value="public">anyone</option>
        </select>
      </label>
      {agent.skill_access === 'key' && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const key = newKey();
            onError(null);
            agents.putKey(agent.id, keyName, key).then(
              () => setShown(key),
              (err: unknown) => onError(errorText(err, 'Could not store the key.')),
            );
          }}
        >
          New agent key
        </button>
      )}
      {shown && <Copyable label={`Agent key (${keyName}, shown once)`} value={shown} />}
    </div>
  );
}

/** The section. */
export function UseIt({ agent, onChanged }: { agent: Agent; onChanged: (agent: Agent) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [model, setModel] = useState(agent.embodiments.chat_model ?? '');
  const origin = window.location.origin;
  const base = `${origin}/agents/${agent.id}`;
  const key = agent.skill_access === 'public' ? 'none' : agent.skill_access === 'key' ? '<the agent key>' : '<your access token>';

  async function save(patch: EmbodimentsPatch): Promise<boolean> {
    setError(null);
    try {
      onChanged(await agents.setEmbodiments(agent.id, patch));
      return true;
    } catch (e) {
      setError(errorText(e, 'Could not save the setting.'));
      return false;
    }
  }

  const openaiSnippet = `import OpenAI from 'openai';\nconst client = new OpenAI({ baseURL: '${origin}/v1', apiKey: '${key}' });\nconst answer = await client.chat.completions.create({ model: '${agent.id}', messages: [{ role: 'user', content: 'Hello' }] });`;
  const mcpSnippet = JSON.stringify({ mcpServers: { [agent.name]: { url: `${base}/mcp`, headers: agent.skill_access === 'public' ? {} : { Authorization: `Bearer ${key}` } } } }, null, 2);
  const widget = `<script src="${base}/chat/widget.js" async></script>`;

  return (
    <div className="use-it">
      <Access agent={agent} onChanged={onChanged} onError={setError} />
      <p className="muted">{authHelp(agent)}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {ORDER.map((name) => (
        <Embodiment key={name} agent={agent} name={name} save={save}>
          {name === 'openai' && (
            <>
              <Copyable label="Base URL" value={`${origin}/v1`} />
              <Copyable label="Model" value={agent.id} />
              {agent.versions.length > 0 && <Copyable label="Model (deployed)" value={`${agent.id}@prod`} />}
              <Copyable label="JavaScript" value={openaiSnippet} />
            </>
          )}
          {name === 'mcp' && (
            <>
              <Copyable label="MCP URL" value={`${base}/mcp`} />
              <Copyable label="Legacy SSE URL" value={`${base}/mcp/sse`} />
              <Copyable label="Client config" value={mcpSnippet} />
            </>
          )}
          {name === 'openapi' && (
            <>
              <Copyable label="Swagger UI" value={`${base}/swagger`} href={`/agents/${agent.id}/swagger`} />
              <Copyable label="OpenAPI" value={`${base}/api-docs/openapi.json`} href={`/agents/${agent.id}/api-docs/openapi.json`} />
              <Copyable label="GPT Actions" value={`${base}/api-docs/openapi-gpt.json`} />
              <div className="use-it-row">
                <span className="use-it-label">Postman</span>
                <a href={`/agents/${agent.id}/postman`} download={`${agent.name}.postman.json`}>
                  Download the collection
                </a>
              </div>
            </>
          )}
          {name === 'chat' && (
            <>
              <Copyable label="Chat page" value={`${base}/chat`} href={`/agents/${agent.id}/chat`} />
              <Copyable label="Widget" value={widget} />
            </>
          )}
          {name === 'alexa' && <Copyable label="Alexa endpoint" value={`${base}/alexa`} />}
        </Embodiment>
      ))}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ chat_model: model.trim() || null });
        }}
      >
        <label>
          Chat model <input value={model} placeholder="the server's default" onChange={(e) => setModel(e.target.value)} />
        </label>
        <button type="submit" className="secondary">
          Save model
        </button>
      </form>
    </div>
  );
}
