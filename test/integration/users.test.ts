import { execFile } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { owners } from '../../seeds/data/padang-towers';
import { startStack, Stack } from '../support/harness';

/** A browser as the API sees it: the session cookie and the CSRF token from signing in. */
async function signIn(url: string, email: string, password: string) {
  const res = await request(url).post('/api/v1/auth/sign-in').send({ email, password });
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c) => c.startsWith('kasda_session='));
  return { res, cookie: cookie?.split(';')[0], csrf: res.body.csrf_token as string | undefined };
}

describe('Users: created by an admin, signed in with a password, sessions in a CSRF-checked cookie', () => {
  let stack: Stack;
  let admin: string;
  const payer = owners[0];
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    admin = stack.token({ role: 'admin' });
  });
  afterAll(() => stack.close());

  const create = (body: Record<string, unknown>, token = admin) => request(stack.url).post('/api/v1/users').set('Authorization', `Bearer ${token}`).send(body);

  it('When an admin creates users of each role, then each signs in and its session carries the role and scope', async () => {
    const made = [
      await create({ email: 'Keu@BPKAD.padang.go.id', name: 'Staf Keuangan', role: 'finance', password }),
      await create({ email: 'ops@mitratel.example', name: 'Akuntan Mitratel', role: 'payer', payer: payer.npwrd, password }),
      await create({ email: 'admin@diskominfo.padang.go.id', name: 'Admin Diskominfo', role: 'opd_admin', opd: 'DISKOMINFO', password }),
    ];
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(made[0].body).toMatchObject({ email: 'keu@bpkad.padang.go.id', role: 'finance', payer: null, opd: null, disabled: false });
    expect(made[1].body.payer).toEqual({ npwrd: payer.npwrd, name: payer.name });
    expect(JSON.stringify(made.map((r) => r.body))).not.toMatch(/scrypt|password/);

    const { res, cookie, csrf } = await signIn(stack.url, 'ops@mitratel.example', password);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']![0]).toMatch(/^kasda_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(csrf).toMatch(/^[\w-]{43}$/);
    const session = await request(stack.url).get('/api/v1/auth/session').set('Cookie', cookie!);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ user: { email: 'ops@mitratel.example', role: 'payer' }, csrf_token: csrf });
    const bills = await request(stack.url).get('/api/v1/bills').set('Cookie', cookie!);
    expect(bills.status).toBe(200);
    expect((await request(stack.url).get('/api/v1/users').set('Cookie', cookie!)).status).toBe(403);
  });

  it('When a change is made with the cookie, then it needs the session’s CSRF token; a bearer call needs none', async () => {
    const { cookie, csrf } = await signIn(stack.url, 'ops@mitratel.example', password);
    const put = () => request(stack.url).put('/api/v1/webhook-endpoint').set('Cookie', cookie!).send({ url: 'https://erp.mitratel.example/kasda' });
    const without = await put();
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('csrf_failed');
    expect((await put().set('X-CSRF-Token', 'x'.repeat(43))).status).toBe(403);
    expect((await put().set('X-CSRF-Token', csrf!)).status).toBe(200);
    const other = await signIn(stack.url, 'keu@bpkad.padang.go.id', password);
    expect((await put().set('X-CSRF-Token', other.csrf!)).body.error.code).toBe('csrf_failed');
    const bearer = await request(stack.url)
      .put('/api/v1/webhook-endpoint')
      .set('Authorization', `Bearer ${stack.token({ role: 'payer', npwrd: payer.npwrd })}`)
      .send({ url: 'https://erp.mitratel.example/kasda' });
    expect(bearer.status).toBe(200);
  });

  it('When a user signs out, then the same cookie no longer works', async () => {
    const { cookie, csrf } = await signIn(stack.url, 'keu@bpkad.padang.go.id', password);
    expect((await request(stack.url).post('/api/v1/auth/sign-out').set('Cookie', cookie!)).status).toBe(403);
    const out = await request(stack.url).post('/api/v1/auth/sign-out').set('Cookie', cookie!).set('X-CSRF-Token', csrf!);
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']![0]).toMatch(/^kasda_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    const again = await request(stack.url).get('/api/v1/bills').set('Cookie', cookie!);
    expect(again.status).toBe(401);
  });

  it('When a wrong password is given five times, then the account locks, even against the right one, until an admin unlocks it', async () => {
    await create({ email: 'lock@bpkad.padang.go.id', name: 'Dikunci', role: 'auditor', password });
    const unknown = await signIn(stack.url, 'nobody@bpkad.padang.go.id', 'wrong password!!');
    expect(unknown.res.status).toBe(401);
    expect(unknown.res.body.error.code).toBe('invalid_credentials');
    const left: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await signIn(stack.url, 'lock@bpkad.padang.go.id', `wrong password ${i}`);
      expect(r.res.status).toBe(401);
      left.push(r.res.body.error.details.attempts_left);
    }
    expect(left).toEqual([4, 3, 2, 1]);
    const fifth = await signIn(stack.url, 'lock@bpkad.padang.go.id', 'wrong password 5');
    expect(fifth.res.status).toBe(423);
    expect(fifth.res.body.error.code).toBe('account_locked');
    const right = await signIn(stack.url, 'lock@bpkad.padang.go.id', password);
    expect(right.res.status).toBe(423);
    expect(right.cookie).toBeUndefined();

    const list = await request(stack.url).get('/api/v1/users').set('Authorization', `Bearer ${admin}`);
    const locked = list.body.data.find((u: { email: string }) => u.email === 'lock@bpkad.padang.go.id');
    expect(locked).toMatchObject({ failed_sign_ins: 5, locked_until: expect.any(String) });
    const unlock = await request(stack.url).patch(`/api/v1/users/${locked.id}`).set('Authorization', `Bearer ${admin}`).send({ unlock: true });
    expect(unlock.body).toMatchObject({ failed_sign_ins: 0, locked_until: null });
    expect((await signIn(stack.url, 'lock@bpkad.padang.go.id', password)).res.status).toBe(200);
  });

  it('When an admin changes a user’s role or disables it, then its open sessions end at once', async () => {
    const made = await create({ email: 'pindah@bpkad.padang.go.id', name: 'Pindah', role: 'finance', password });
    const first = await signIn(stack.url, 'pindah@bpkad.padang.go.id', password);
    expect((await request(stack.url).get('/api/v1/bills').set('Cookie', first.cookie!)).status).toBe(200);
    await request(stack.url).patch(`/api/v1/users/${made.body.id}`).set('Authorization', `Bearer ${admin}`).send({ role: 'auditor' }).expect(200);
    expect((await request(stack.url).get('/api/v1/bills').set('Cookie', first.cookie!)).status).toBe(401);
    const second = await signIn(stack.url, 'pindah@bpkad.padang.go.id', password);
    expect(second.res.body.user.role).toBe('auditor');
    await request(stack.url).patch(`/api/v1/users/${made.body.id}`).set('Authorization', `Bearer ${admin}`).send({ disabled: true }).expect(200);
    expect((await request(stack.url).get('/api/v1/bills').set('Cookie', second.cookie!)).status).toBe(401);
    expect((await signIn(stack.url, 'pindah@bpkad.padang.go.id', password)).res.body.error.code).toBe('invalid_credentials');
  });

  it.each([
    ['a payer user without its NPWRD', { role: 'payer' }, 'payer'],
    ['a payer user with an unknown NPWRD', { role: 'payer', payer: 'NPWRD-NONE' }, 'payer'],
    ['a finance user with an OPD', { role: 'finance', opd: 'DISKOMINFO' }, 'opd'],
    ['an OPD admin of an unknown OPD', { role: 'opd_admin', opd: 'NOPE' }, 'opd'],
  ])('When an admin creates %s, then 422 user_invalid names the field', async (_what, body, field) => {
    const r = await create({ email: `x${field}@example.go.id`, name: 'X', password, ...body });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('user_invalid');
    expect(r.body.error.details.errors[0].field).toBe(field);
  });

  it('When a short password or a used e-mail is given, or a non-admin tries, then nothing is created', async () => {
    expect((await create({ email: 'short@example.go.id', name: 'S', role: 'finance', password: 'short' })).status).toBe(400);
    const dup = await create({ email: 'KEU@bpkad.padang.go.id', name: 'Dup', role: 'finance', password });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('user_exists');
    expect((await create({ email: 'f@example.go.id', name: 'F', role: 'admin', password }, stack.token({ role: 'finance' }))).status).toBe(403);
  });

  it('Every answer carries the security headers; bank channels are listed without their settings', async () => {
    const r = await request(stack.url).get('/api/v1/bank-channels').set('Authorization', `Bearer ${admin}`);
    expect(r.status).toBe(200);
    expect(r.body.data.map((c: { code: string }) => c.code)).toEqual(expect.arrayContaining(['bni-ecollection']));
    expect(JSON.stringify(r.body)).not.toMatch(/settings|secret/i);
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['ratelimit-policy']).toBeDefined();
  });

  it('The first admin comes from the CLI, with the password on standard input', async () => {
    const root = path.join(__dirname, '..', '..');
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        path.join(root, 'node_modules', '.bin', 'tsx'),
        ['src/cli.ts', 'user', 'create', '--email', 'root@kasda.padang.go.id', '--role', 'admin', '--name', 'Admin Kasda', '--password-stdin'],
        { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' } },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
      );
      child.stdin!.end(`${password}\n`);
    });
    expect(out).toMatch(/^Created user \d+: root@kasda.padang.go.id \(admin\)/);
    const { res } = await signIn(stack.url, 'root@kasda.padang.go.id', password);
    expect(res.body.user).toMatchObject({ role: 'admin', name: 'Admin Kasda' });
  });
});
