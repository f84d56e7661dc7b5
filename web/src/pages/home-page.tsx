/**
 * The landing page after sign-in: who you are and where to go.
 */
import { Link } from 'react-router';
import { useSession } from '../session.tsx';

/** `/`. */
export function HomePage() {
  const { user } = useSession();
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">Welcome, {user?.localpart}</h1>
      <p className="muted">
        Signed in as <code>{user?.user_id}</code>
        {user?.is_admin ? ' (admin)' : ''}.
      </p>
      <ul className="tiles">
        <li>
          <Link to="/main">Shared space</Link>
          <span>Talk with people and bots in the shared room.</span>
        </li>
        <li>
          <Link to="/runtime">Runtime connect</Link>
          <span>Link your own AI bot with a one-time invite.</span>
        </li>
        <li>
          <Link to="/agents">Agents</Link>
          <span>Run and debug agent graphs.</span>
        </li>
      </ul>
    </section>
  );
}
