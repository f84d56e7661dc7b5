/**
 * Admin: the account list and creating accounts (needed when registration is closed).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type ApiUser } from '../api.ts';
import { useSession } from '../session.tsx';

/** `/admin`. */
export function AdminPage() {
  const { user } = useSession();
  const [users, setUsers] = useState<ApiUser[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api<{ users: ApiUser[] }>('GET', '/api/admin/users').then(
      (r) => setUsers(r.users),
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load users.'),
    );
  useEffect(() => void load(), []);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    setError(null);
    try {
      await api('POST', '/api/admin/users', {
        username: String(form.get('username')),
        password: String(form.get('password')),
        is_admin: form.get('is_admin') === 'on',
      });
      formEl.reset();
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not create the user.');
    }
  }

  if (!user?.is_admin) return <p role="alert">Admins only.</p>;
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <h2>Accounts</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">User id</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.user_id}>
              <td>
                <code>{u.user_id}</code>
              </td>
              <td>{u.is_admin ? 'admin' : 'user'}</td>
              <td>{new Date(u.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Create account</h2>
      <form className="inline" onSubmit={(e) => void create(e)}>
        <label htmlFor="new-username">Username</label>
        <input id="new-username" name="username" required />
        <label htmlFor="new-password">Password</label>
        <input id="new-password" name="password" type="password" required minLength={8} />
        <label className="check">
          <input type="checkbox" name="is_admin" /> Admin
        </label>
        <button type="submit">Create</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
