/**
 * Routes of the UI: public auth pages, and the authenticated shell holding every section.
 */
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './session.tsx';
import { Shell } from './shell.tsx';
import { AuthPage } from './pages/auth-page.tsx';
import { HomePage } from './pages/home-page.tsx';
import { AdminPage } from './pages/admin-page.tsx';
import { SharedSpacePage } from './pages/shared-space-page.tsx';
import { RuntimeConnectPage } from './pages/runtime-connect-page.tsx';
import { ClaimPage } from './pages/claim-page.tsx';
import { ManualPage } from './pages/manual-page.tsx';
import { NoRoomChosen, RoomsPage } from './pages/rooms-page.tsx';
import { RoomView } from './pages/rooms/room-view.tsx';
import { BotsPage } from './pages/bots-page.tsx';
import { QueuePage } from './pages/queue-page.tsx';
import { AgentsPage } from './pages/agents-page.tsx';
import { AgentView } from './pages/agents/agent-view.tsx';
import { ChatPage } from './pages/chat/chat-page.tsx';

function RequireUser({ children }: { children: React.ReactNode }) {
  const { user, loading } = useSession();
  const location = useLocation();
  if (loading) return <p className="center muted" role="status">Loading…</p>;
  if (!user) return <Navigate to={`/login?redirect=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

/** The route table. */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<AuthPage mode="login" />} />
      <Route path="/register" element={<AuthPage mode="register" />} />
      <Route path="/runtime/spec" element={<ManualPage />} />
      <Route path="/agents/:agentId/chat" element={<ChatPage />} />
      <Route
        element={
          <RequireUser>
            <Shell />
          </RequireUser>
        }
      >
        <Route index element={<HomePage />} />
        <Route path="main" element={<SharedSpacePage />} />
        <Route path="rooms" element={<RoomsPage />}>
          <Route index element={<NoRoomChosen />} />
          <Route path=":roomId" element={<RoomView />} />
        </Route>
        <Route path="runtime" element={<RuntimeConnectPage />} />
        <Route path="runtime/connect" element={<ClaimPage />} />
        <Route path="bots" element={<BotsPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/:agentId" element={<AgentView />} />
        <Route path="queue" element={<Navigate to="/admin/queue" replace />} />
        <Route path="admin" element={<AdminPage />} />
        <Route path="admin/queue" element={<QueuePage />} />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
