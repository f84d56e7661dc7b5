/**
 * The authenticated shell: header, navigation to every section, sign out, and the page outlet.
 */
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from './session.tsx';

const SECTIONS = [
  { to: '/main', label: 'Shared space' },
  { to: '/rooms', label: 'Rooms' },
  { to: '/runtime', label: 'Runtime connect' },
  { to: '/bots', label: 'Bots' },
  { to: '/agents', label: 'Agents' },
];

/** Layout of every signed-in page. */
export function Shell() {
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Orrery home">
          <span aria-hidden="true">◎</span> Orrery
        </NavLink>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.to}>
                <NavLink to={s.to}>{s.label}</NavLink>
              </li>
            ))}
            {user?.is_admin && (
              <>
                <li>
                  <NavLink to="/admin/queue">Queue</NavLink>
                </li>
                <li>
                  <NavLink to="/admin" end>
                    Admin
                  </NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
        <div className="me">
          <span className="muted" data-testid="whoami">
            {user?.user_id}
          </span>
          <button
            type="button"
            className="secondary"
            onClick={() => void signOut().then(() => navigate('/login'))}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
