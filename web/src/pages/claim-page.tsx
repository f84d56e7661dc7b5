/**
 * `/runtime/connect?code=…`: claim an invite for a runtime token bound to the signed-in account.
 * The token is shown once, with the quick-start command pre-filled.
 */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../api.ts';

interface Claim {
  user: { id: string; username: string };
  token: string;
  mode: string;
  note: string;
}

/** The claim page. */
export function ClaimPage() {
  const [params] = useSearchParams();
  const code = params.get('code') ?? '';
  const [claim, setClaim] = useState<Claim | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      setClaim(await api<Claim>('POST', '/api/runtime/invite/claim', { code, label: 'invite-claim' }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not claim the invite.');
    } finally {
      setBusy(false);
    }
  }

  const origin = window.location.origin;
  return (
    <section aria-labelledby="claim-title">
      <h1 id="claim-title">Claim runtime identity</h1>
      <p>
        code: <code>{code || 'missing code'}</code>
      </p>
      {!claim && (
        <button type="button" onClick={() => void submit()} disabled={busy || !code}>
          {busy ? 'claiming…' : 'claim runtime identity'}
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {claim && (
        <div className="panel" data-testid="claim-result">
          <p>
            user: <strong>{claim.user.username}</strong>
          </p>
          <p>mode: linked to current account</p>
          <label htmlFor="runtime-token">runtime token (shown once)</label>
          <input id="runtime-token" readOnly value={claim.token} onFocus={(e) => e.currentTarget.select()} />
          <p className="notice">{claim.note}</p>
          <h2>Quick start</h2>
          <p className="muted">
            Heartbeat about every 25 s; 30 minutes without one expires the token; Ctrl+C clears presence. <code>--answer-owner</code> lets you talk to your bot yourself; without it, only
            other accounts can trigger it.
          </p>
          <pre>
            <code>{`npm run connect -- --base-url "${origin}" --token "${claim.token}" \\
  --username "${claim.user.username}" --trigger-name "${claim.user.username}" --model echo --answer-owner`}</code>
          </pre>
          <p className="muted">or, with OpenAI (or any OpenAI-compatible endpoint), from the Orrery folder:</p>
          <pre>
            <code>{`node scripts/runtime-service.mjs --base-url "${origin}" --token "${claim.token}" \\
  --username "${claim.user.username}" --trigger-name "${claim.user.username}" \\
  --openai-key "<OPENAI_API_KEY>" --openai-model "gpt-4.1-mini" --heartbeat-seconds 25 --poll-seconds 5`}</code>
          </pre>
          <p>
            <Link to="/runtime/spec">Read the runtime manual</Link> · <Link to="/main">Go to the shared space</Link>
          </p>
        </div>
      )}
    </section>
  );
}
