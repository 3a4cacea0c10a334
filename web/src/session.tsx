import { createContext, ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, bindSession } from './api';
import type { Role, Session, User } from './types';

interface SessionState {
  /** undefined while the page asks whether a session exists. */
  user: User | null | undefined;
  signIn(email: string, password: string): Promise<User>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const adopt = useCallback((s: Session | null) => {
    bindSession(s?.csrf_token, () => setUser(null));
    setUser(s?.user ?? null);
  }, []);

  useEffect(() => {
    // No session (401) or none to find: the sign-in page. Anything else shows there too.
    api<Session>('/auth/session').then(adopt, () => adopt(null));
  }, [adopt]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const s = await api<Session>('/auth/sign-in', { method: 'POST', json: { email, password } });
      adopt(s);
      return s.user;
    },
    [adopt],
  );
  const signOut = useCallback(async () => {
    try {
      await api('/auth/sign-out', { method: 'POST' });
    } finally {
      adopt(null);
    }
  }, [adopt]);

  return <SessionContext.Provider value={{ user, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSessionState outside SessionProvider');
  return s;
}

/** The signed-in user; pages under RequireRole only render with one. */
export function useUser(): User {
  const { user } = useSessionState();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}

/** Where each role starts. */
export function homeOf(role: Role): string {
  return { payer: '/payer/bills', finance: '/finance', auditor: '/finance', opd_admin: '/opd/levy-types', admin: '/admin/users' }[role];
}

/** Who may open each part of the pages (the API checks again). */
export const SECTIONS: Record<'payer' | 'finance' | 'opd' | 'admin', Role[]> = {
  payer: ['payer'],
  finance: ['finance', 'auditor', 'admin'],
  opd: ['opd_admin', 'admin'],
  admin: ['admin'],
};
