/**
 * Who is signed in: loads `/api/auth/whoami` once and shares the user with every page.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, setCsrfToken, type ApiUser } from './api.ts';

interface SessionState {
  user: ApiUser | null;
  loading: boolean;
  /** Store the user (and CSRF token) returned by login or register. */
  signedIn(user: ApiUser, csrfToken?: string): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** Provides the session to the tree. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<ApiUser | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    api<{ user: ApiUser; csrf_token?: string }>('GET', '/api/auth/whoami')
      .then((r) => {
        setCsrfToken(r.csrf_token);
        setUser(r.user);
      })
      .catch(() => setUser(null))
      .finally(() => setLoading(false));
  }, []);

  const signedIn = useCallback((u: ApiUser, token?: string) => {
    setCsrfToken(token);
    setUser(u);
  }, []);
  const signOut = useCallback(async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    setCsrfToken(undefined);
    setUser(null);
  }, []);

  return <SessionContext.Provider value={{ user, loading, signedIn, signOut }}>{children}</SessionContext.Provider>;
}

/** The current session. */
export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
