import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { listBankChannels } from './repo';
import { changeUser, createUser, getUser, listUsers } from './service';
import type { NewUser, UserChange } from './schema';

export const userRoutes = Router();

const admin = allow('admin');

userRoutes.get('/users', admin, async (_req, res) => {
  res.json({ data: await listUsers(db()) });
});

userRoutes.post('/users', admin, async (req, res) => {
  const user = await createUser(db(), principal(req), req.body as NewUser);
  res.status(201).location(`/api/v1/users/${user.id}`).json(user);
});

userRoutes.get('/users/:id', admin, async (req, res) => {
  res.json(await getUser(db(), Number(req.params.id)));
});

userRoutes.patch('/users/:id', admin, async (req, res) => {
  res.json(await changeUser(db(), principal(req), Number(req.params.id), req.body as UserChange));
});

// Every role: the admin page lists them, and a bill's page names its bank (as the SKRD does).
userRoutes.get('/bank-channels', allow('admin', 'finance', 'auditor', 'opd_admin', 'payer'), async (_req, res) => {
  res.json({ data: await listBankChannels(db()) });
});
