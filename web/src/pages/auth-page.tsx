/**
 * Sign in and create account: one form, two modes.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, type ApiUser } from '../api.ts';
import { useSession } from '../session.tsx';

interface AuthConfig {
  server_name: string;
  registration_policy: 'open' | 'closed' | 'token';
}

/** `/login` and `/register`. */
export function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<AuthConfig>('GET', '/api/auth/config').then(setConfig, () => setConfig(null));
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: Record<string, string> = {
      username: String(form.get('username') ?? ''),
      password: String(form.get('password') ?? ''),
    };
    if (mode === 'register' && form.get('registration_token')) body.registration_token = String(form.get('registration_token'));
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ user: ApiUser; csrf_token?: string }>('POST', `/api/auth/${mode}`, body);
      signedIn(r.user, r.csrf_token);
      const redirect = params.get('redirect');
      navigate(redirect && redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong.');
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'login' ? 'Sign in' : 'Create account';
  const closed = mode === 'register' && config?.registration_policy === 'closed';
  return (
    <main className="auth">
      <div className="card">
        <h1>
          <span aria-hidden="true">◎</span> Orrery
        </h1>
        <h2>{title}</h2>
        {closed ? (
          <p role="alert">Registration is closed on this server. Ask an administrator for an account.</p>
        ) : (
          <form onSubmit={(e) => void submit(e)} noValidate>
            <label htmlFor="username">Username</label>
            <input id="username" name="username" autoComplete="username" required autoFocus />
            {mode === 'register' && config && (
              <p className="hint">
                Lowercase letters, digits and . _ = - / +. Your id will be @name:{config.server_name}.
              </p>
            )}
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'register' ? 8 : undefined}
            />
            {mode === 'register' && config?.registration_policy === 'token' && (
              <>
                <label htmlFor="registration_token">Registration token</label>
                <input id="registration_token" name="registration_token" required />
              </>
            )}
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {busy ? 'Please wait…' : title}
            </button>
          </form>
        )}
        <p className="muted">
          {mode === 'login' ? (
            <>
              No account? <Link to="/register">Create one</Link>
            </>
          ) : (
            <>
              Have an account? <Link to="/login">Sign in</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
