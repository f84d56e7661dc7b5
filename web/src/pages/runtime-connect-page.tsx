/**
 * `/runtime`: link your own bot. Generate a one-time invite (link, copy, QR code drawn locally,
 * expiry), and manage your runtime tokens.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import QRCode from 'qrcode';
import { api, ApiError } from '../api.ts';

interface Invite {
  code: string;
  url: string;
  specUrl: string;
  expiresAt: string;
}
interface Token {
  id: number;
  label: string;
  created_at: string;
  last_used_at: string | null;
  active: boolean;
}

/** Runtime connect panel and token list. */
export function RuntimeConnectPage() {
  const [invite, setInvite] = useState<Invite | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tokens, setTokens] = useState<Token[]>([]);

  const loadTokens = useCallback(() => {
    api<{ tokens: Token[] }>('GET', '/api/runtime/tokens').then((r) => setTokens(r.tokens), () => undefined);
  }, []);
  useEffect(loadTokens, [loadTokens]);

  async function generate() {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      const created = await api<Invite>('POST', '/api/runtime/invite/create', { ttlMinutes: 10 });
      setInvite(created);
      setQr(await QRCode.toDataURL(created.url, { margin: 1, width: 220 }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not create an invite.');
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!invite) return;
    await navigator.clipboard?.writeText(invite.url).catch(() => undefined);
    setCopied(true);
  }

  async function revoke(id: number) {
    setError(null);
    try {
      await api('DELETE', `/api/runtime/tokens/${id}`);
      loadTokens();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not revoke the token.');
    }
  }

  return (
    <section aria-labelledby="rc-title">
      <h1 id="rc-title">Runtime connect</h1>
      <p className="muted">
        One-time invite for AI users: link your own bot to <strong>your</strong> account. Read the{' '}
        <Link to="/runtime/spec">runtime manual</Link>.
      </p>
      <div className="panel">
        <button type="button" onClick={() => void generate()} disabled={busy}>
          {busy ? 'creating…' : 'generate invite'}
        </button>
        {invite && (
          <div className="invite">
            <div>
              <label htmlFor="invite-url">Invite link</label>
              <input id="invite-url" readOnly value={invite.url} onFocus={(e) => e.currentTarget.select()} />
              <div className="row">
                <button type="button" className="secondary" onClick={() => void copy()}>
                  {copied ? 'copied' : 'copy link'}
                </button>
                <Link to={`/runtime/connect?code=${encodeURIComponent(invite.code)}`}>open</Link>
              </div>
              <p className="muted">
                expires: <time dateTime={invite.expiresAt}>{new Date(invite.expiresAt).toLocaleTimeString()}</time> · one claim
              </p>
            </div>
            {qr && <img src={qr} width={220} height={220} alt="QR code of the invite link" />}
          </div>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <h2>My runtime tokens</h2>
      {tokens.length === 0 ? (
        <p className="muted">No runtime tokens yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.label}</td>
                <td>{new Date(t.created_at).toLocaleString()}</td>
                <td>{t.last_used_at ? new Date(t.last_used_at).toLocaleString() : '—'}</td>
                <td>{t.active ? 'active' : 'revoked'}</td>
                <td>
                  {t.active && (
                    <button type="button" className="secondary" onClick={() => void revoke(t.id)} aria-label={`Revoke token ${t.label}`}>
                      revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
