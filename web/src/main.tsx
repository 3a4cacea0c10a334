import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { LangProvider, useT } from './i18n';
import { AdminChannels } from './pages/admin/Channels';
import { AdminUsers } from './pages/admin/Users';
import { Arrears } from './pages/finance/Arrears';
import { FinanceHome } from './pages/finance/Home';
import { Reconciliation } from './pages/finance/Reconciliation';
import { Reports } from './pages/finance/Reports';
import { StsRegister } from './pages/finance/Sts';
import { OpdBills } from './pages/opd/Bills';
import { LevyTypeEditor } from './pages/opd/LevyTypeEditor';
import { LevyTypes } from './pages/opd/LevyTypes';
import { ObjectsPage } from './pages/opd/Objects';
import { BillDetail } from './pages/BillDetail';
import { PayerBills } from './pages/payer/Bills';
import { Integration } from './pages/payer/Integration';
import { SignIn } from './pages/SignIn';
import { homeOf, SECTIONS, SessionProvider, useSessionState } from './session';
import './styles.css';

/** Renders its pages only for the roles of a section; anyone else goes to sign in or home. */
function RequireRole({ section }: { section?: keyof typeof SECTIONS }) {
  const { user } = useSessionState();
  const t = useT();
  const location = useLocation();
  if (user === undefined) return <p aria-live="polite">{t('common.loading')}</p>;
  if (!user) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  if (section && !SECTIONS[section].includes(user.role)) return <Navigate to={homeOf(user.role)} replace />;
  return <Outlet />;
}

function Home() {
  const { user } = useSessionState();
  if (user === undefined) return null;
  return <Navigate to={user ? homeOf(user.role) : '/sign-in'} replace />;
}

const router = createBrowserRouter([
  { path: '/', element: <Home /> },
  { path: '/sign-in', element: <SignIn /> },
  {
    element: <RequireRole />,
    children: [
      {
        element: <Layout />,
        children: [
          {
            element: <RequireRole section="payer" />,
            children: [
              { path: '/payer/bills', element: <PayerBills /> },
              { path: '/payer/bills/:billNo', element: <BillDetail /> },
              { path: '/payer/integration', element: <Integration /> },
            ],
          },
          {
            element: <RequireRole section="finance" />,
            children: [
              { path: '/finance', element: <FinanceHome /> },
              { path: '/finance/reconciliation', element: <Reconciliation /> },
              { path: '/finance/sts', element: <StsRegister /> },
              { path: '/finance/arrears', element: <Arrears /> },
              { path: '/finance/reports', element: <Reports /> },
            ],
          },
          {
            element: <RequireRole section="opd" />,
            children: [
              { path: '/opd/levy-types', element: <LevyTypes /> },
              { path: '/opd/levy-types/new', element: <LevyTypeEditor /> },
              { path: '/opd/levy-types/:code', element: <LevyTypeEditor /> },
              { path: '/opd/objects', element: <ObjectsPage /> },
              { path: '/opd/bills', element: <OpdBills /> },
              { path: '/opd/bills/:billNo', element: <BillDetail /> },
            ],
          },
          {
            element: <RequireRole section="admin" />,
            children: [
              { path: '/admin/users', element: <AdminUsers /> },
              { path: '/admin/channels', element: <AdminChannels /> },
            ],
          },
        ],
      },
    ],
  },
  { path: '*', element: <Home /> },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LangProvider>
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </LangProvider>
  </StrictMode>,
);
