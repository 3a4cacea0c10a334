import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { owners } from '../../seeds/data/padang-towers';
import { db } from '../../src/db';
import { jakartaDate } from '../../src/lib/time';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue } from '../support/payments';
import { describeInBrowser, ensureWebBuilt, launch, shot, signIn } from './browser';

/**
 * The pages in a real browser against the real server, database, queues and bank simulator: each
 * role signs in with a password and does its day's work through the documented API.
 */
describeInBrowser('Web pages in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let bills: Array<{ id: number; bill_no: string; trx_id: string; payer_id: number; amount: number }>;
  const password = 'kata sandi rahasia 2027';
  const [me] = owners;
  const today = jakartaDate();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kasda-browser-'));

  beforeAll(async () => {
    ensureWebBuilt();
    stack = await startStack();
    const admin = stack.token({ role: 'admin' });
    const users = [
      { email: 'akuntansi@mitratel.example', name: 'Akuntan Mitratel', role: 'payer', payer: me.npwrd },
      { email: 'keu@bpkad.padang.go.id', name: 'Staf Keuangan BPKAD', role: 'finance' },
      { email: 'admin@diskominfo.padang.go.id', name: 'Admin Diskominfo', role: 'opd_admin', opd: 'DISKOMINFO' },
      { email: 'root@kasda.padang.go.id', name: 'Administrator', role: 'admin' },
      { email: 'lupa@bpkad.padang.go.id', name: 'Pelupa', role: 'auditor' },
    ];
    for (const u of users) await request(stack.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ ...u, password }).expect(201);
    bills = await assessAndIssue(stack);
    // Today's receipts: three providers pay in full, Mitratel pays half of its bill.
    const mine = await db()('payers').where({ npwrd: me.npwrd }).first('id');
    const paidAt = new Date(Date.now() - 10 * 60_000);
    const others = bills.filter((b) => b.payer_id !== mine.id).slice(0, 3);
    for (const b of others) await stack.sim.pay(b.trx_id, { paidAt });
    for (const b of bills.filter((x) => x.payer_id === mine.id)) await stack.sim.pay(b.trx_id, { amount: Math.floor(b.amount / 2), paidAt });
    await waitFor('payments applied', async () => (Number((await db()('payments').count('* as n'))[0].n) === 4 ? true : undefined));
    browser = await launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'id-ID', timezoneId: process.env.TZ });
    page = await context.newPage();
    problems = [];
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      // Except the queue dashboard's Google font: the policy keeps admins' browsers from calling out,
      // and the dashboard falls back to a system font.
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && !m.text().includes('fonts.googleapis.com')) problems.push(m.text());
    });
  });
  // The page as each test left it: on a failure, what the person would have seen.
  afterEach(async () => {
    const name = expect.getState().currentTestName!.replace(/^.*? › /, '').slice(0, 40).replace(/\W+/g, '-').toLowerCase();
    await shot(page, `end-${name}`).catch(() => undefined);
    await context.close();
    // No script error and nothing the Content-Security-Policy had to block, on any page visited.
    expect(problems).toEqual([]);
  });

  it('A payer signs in, sees only its own bills, pays by the instructions and downloads its SKRD as a real PDF', async () => {
    await signIn(page, stack.url, 'akuntansi@mitratel.example', password);
    await page.getByRole('heading', { name: 'Tagihan Anda' }).waitFor();
    const table = page.getByRole('table', { name: 'Daftar tagihan' });
    await table.getByRole('row').nth(1).waitFor();
    const shown = await table.getByRole('link').allTextContents();
    const own = await db()('bills as b').join('payers as p', 'p.id', 'b.payer_id').where('p.npwrd', me.npwrd).pluck('b.bill_no');
    expect(shown.sort()).toEqual(own.sort());
    const everyone = await db()('bills').pluck('bill_no');
    expect(everyone.length).toBeGreaterThan(own.length);
    await expect(table.textContent()).resolves.toMatch(/Rp\d{1,3}(\.\d{3})+/);
    await expect(table.textContent()).resolves.toContain('Dibayar sebagian');
    await shot(page, 'payer-bills');

    await table.getByRole('link').first().click();
    await page.getByRole('heading', { name: /Cara membayar/ }).waitFor();
    await page.getByRole('img', { name: /Kode QR VA/ }).waitFor();
    await expect(page.getByRole('button', { name: /Salin Nomor VA/ }).count()).resolves.toBe(1);
    await page.getByRole('table', { name: 'Riwayat pembayaran' }).getByRole('row').nth(1).waitFor();
    await expect(page.getByRole('table', { name: 'Riwayat pembayaran' }).textContent()).resolves.toMatch(/WIB/);
    await shot(page, 'payer-bill-detail');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Unduh SKRD (PDF)' }).click()]);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    const pdf = fs.readFileSync(file);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(2000);

    await page.getByLabel('Bahasa').selectOption('en');
    await page.getByRole('heading', { name: /How to pay/ }).waitFor();
    await shot(page, 'payer-bill-detail-en');
    await page.getByLabel('Language').selectOption('id');

    await page.getByRole('link', { name: 'Integrasi sistem' }).click();
    await page.getByLabel('Nama kunci').fill('SAP finance');
    await page.getByRole('button', { name: 'Buat kunci API' }).click();
    await page.getByText('hanya ditampilkan sekali').waitFor();
    await expect(page.locator('code.secret').textContent()).resolves.toMatch(/^ksk_/);
    await page.getByLabel('URL webhook').fill('https://erp.mitratel.example/kasda');
    await page.getByRole('button', { name: 'Daftarkan webhook' }).click();
    await page.locator('code.secret', { hasText: 'whsec_' }).waitFor();
    await shot(page, 'payer-integration');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Tagihan' }).click();
    await page.getByRole('table', { name: 'Daftar tagihan' }).getByRole('row').nth(1).waitFor();
    await shot(page, 'payer-bills-phone');
  }, 120_000);

  it('Finance uploads a statement with one difference, resolves it with a reason and sees who resolved it, when and why', async () => {
    const exported = stack.sim.statement(today, today, 'canonical').trimEnd().split('\n');
    const [, first] = exported;
    const amount = first.split(',')[2];
    const changed = first.replace(`,${amount},`, `,${Number(amount) + 2500},`);
    const statement = path.join(tmp, `rekening-koran-${today}.csv`);
    fs.writeFileSync(statement, `${exported.map((l) => (l === first ? changed : l)).join('\n')}\n`);

    await signIn(page, stack.url, 'keu@bpkad.padang.go.id', password);
    await page.getByRole('heading', { name: /Penerimaan hari ini/ }).waitFor();
    await page.getByRole('table', { name: 'Per kode rekening' }).getByText('4.1.02.01.13.0001').waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await shot(page, 'finance-receipts');

    await page.getByRole('link', { name: 'Rekonsiliasi' }).click();
    await page.getByLabel('Kanal bank').selectOption('bni-ecollection');
    await page.getByLabel('Dari tanggal').fill(today);
    await page.getByLabel('Sampai tanggal').fill(today);
    await page.getByLabel('Berkas').setInputFiles(statement);
    await page.getByRole('button', { name: 'Unggah dan cocokkan' }).click();
    await page.getByTestId('run-status').getByText('selesai').waitFor({ timeout: 30_000 });
    const counts = page.locator('dl.counts');
    await expect(counts.locator('div', { hasText: 'Cocok' }).locator('dd').textContent()).resolves.toBe('3');
    await expect(counts.locator('div', { hasText: 'Jumlah berbeda' }).locator('dd').textContent()).resolves.toBe('1');

    const exceptions = page.getByRole('table', { name: 'Selisih' });
    const row = exceptions.getByRole('row').filter({ hasText: 'Jumlah berbeda' });
    await row.waitFor();
    await expect(row.locator('mark').first().textContent()).resolves.toMatch(/^Rp/);
    await shot(page, 'finance-reconciliation-run');
    await row.getByRole('checkbox').check();
    await page.getByLabel('Tindakan').selectOption('accept_difference');
    await page.getByLabel('Alasan').fill('Biaya administrasi bank dibebankan ke rekening kas daerah');
    await page.getByRole('button', { name: 'Selesaikan', exact: true }).click();
    await page.getByText('1 selisih diselesaikan.').waitFor();
    await page.getByLabel('Status').selectOption('resolved');
    const resolved = exceptions.getByRole('row').filter({ hasText: 'Jumlah berbeda' });
    await expect(resolved.locator('.audit').textContent()).resolves.toMatch(/^Terima selisih — “Biaya administrasi bank dibebankan ke rekening kas daerah” — finance:keu@bpkad\.padang\.go\.id, .* WIB$/);
    const audit = await db()('audit_log').where({ entity_type: 'reconciliation_exception' }).orderBy('seq', 'desc').first();
    expect(audit).toMatchObject({ actor: 'finance:keu@bpkad.padang.go.id' });
    await shot(page, 'finance-reconciliation-resolved');

    await page.getByRole('link', { name: 'STS' }).click();
    await page.getByRole('button', { name: 'Buat STS hari itu' }).click();
    await page.getByText(/STS dibuat/).waitFor();
    await page.getByRole('table', { name: 'Register STS' }).getByText('-STS-').first().waitFor();
    await shot(page, 'finance-sts');
    await page.getByRole('link', { name: 'Umur piutang' }).click();
    await page.getByRole('table', { name: /Umur piutang per/ }).getByRole('row').nth(2).waitFor();
    await shot(page, 'finance-arrears');
    await page.getByRole('link', { name: 'Laporan' }).click();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('listitem').filter({ hasText: 'Rekap harian' }).getByRole('link', { name: 'CSV' }).click()]);
    expect(fs.readFileSync((await csv.path())!, 'utf8')).toMatch(/4\.1\.02\.01\.13\.0001/);
    await shot(page, 'finance-reports');
  }, 120_000);

  it('An OPD admin defines a levy by formula, previews it live, and imports objects with one bad row', async () => {
    await signIn(page, stack.url, 'admin@diskominfo.padang.go.id', password);
    await page.getByRole('heading', { name: 'Jenis pungutan' }).waitFor();
    await page.getByRole('table', { name: 'Jenis pungutan' }).getByText('retribusi-menara').waitFor();
    await shot(page, 'opd-levy-types');
    await page.getByRole('link', { name: 'Buat jenis pungutan baru' }).click();
    await page.getByLabel('Kode', { exact: true }).fill('sewa-aset');
    await page.getByLabel('Nama', { exact: true }).fill('Retribusi Pemakaian Kekayaan Daerah');
    await page.getByLabel('Pasal').fill('Pasal 76 (sewa tanah dan bangunan)');
    await expect(page.getByLabel('Tarif', { exact: true }).inputValue()).resolves.toContain('length_m * width_m * months * rate_per_m2_month');
    await shot(page, 'opd-levy-new');
    await page.getByRole('button', { name: 'Simpan jenis pungutan' }).click();

    await page.getByRole('heading', { name: 'Ubah sewa-aset' }).waitFor();
    const amount = page.getByTestId('preview-amount');
    // 10 m × 5 m × 12 months × Rp15.000 = Rp9.000.000
    await amount.getByText('Rp9.000.000').waitFor();
    await page.getByRole('region', { name: 'Pratinjau tagihan' }).getByLabel('length_m').fill('20');
    await amount.getByText('Rp18.000.000').waitFor();
    await shot(page, 'opd-levy-preview');

    const csv = path.join(tmp, 'objek-sewa-aset.csv');
    fs.writeFileSync(csv, ['code,name,payer_npwrd,status,length_m,width_m,months', `ASET-001,Lahan Jl. Samudra,${me.npwrd},active,20,10,12`, 'ASET-002,Kios Pasar Raya,,active,4,3,13', `ASET-003,Lahan Bypass,${me.npwrd},,8,8,6`].join('\n'));
    await page.getByRole('link', { name: 'Wajib & objek' }).click();
    await page.getByLabel('Jenis pungutan').selectOption('sewa-aset');
    await page.getByLabel('Impor objek (CSV)').setInputFiles(csv);
    await page.getByRole('button', { name: 'Impor', exact: true }).first().click();
    await page.getByText('3 baris: 2 baru, 0 diubah, 0 tetap, 1 ditolak.').waitFor();
    const rejected = page.getByRole('table', { name: 'Baris yang ditolak' });
    await expect(rejected.getByRole('row').nth(1).textContent()).resolves.toMatch(/^3/);
    await page.getByRole('table', { name: 'Objek' }).getByText('ASET-003').waitFor();
    await shot(page, 'opd-objects-import');

    await page.getByRole('link', { name: 'Tagihan OPD' }).click();
    await page.getByRole('table', { name: 'Daftar tagihan' }).getByRole('row').nth(1).waitFor();
    await shot(page, 'opd-bills');
  }, 120_000);

  it('An admin manages users and reaches the queue dashboard and API docs', async () => {
    await signIn(page, stack.url, 'root@kasda.padang.go.id', password);
    await page.getByRole('heading', { name: 'Pengguna', exact: true }).waitFor();
    await page.getByLabel('E-mail').fill('auditor@inspektorat.padang.go.id');
    await page.getByLabel('Nama', { exact: true }).fill('Auditor Inspektorat');
    await page.getByLabel('Peran', { exact: true }).selectOption('auditor');
    await page.getByLabel('Kata sandi').fill(password);
    await page.getByRole('button', { name: 'Buat pengguna' }).click();
    await page.getByText('Pengguna auditor@inspektorat.padang.go.id dibuat.').waitFor();
    await shot(page, 'admin-users');
    await page.getByRole('link', { name: 'Kanal bank' }).click();
    await page.getByRole('table', { name: 'Kanal bank' }).getByText('bni-ecollection').waitFor();
    await shot(page, 'admin-channels');
    await page.getByRole('link', { name: 'Dasbor antrean (BullMQ)' }).click();
    await page.waitForURL(/\/admin\/queues/);
    await page.getByText(/issue-va|assessments/).first().waitFor();
    await shot(page, 'admin-queues');
    await page.goBack();
    await page.getByRole('link', { name: 'Dokumentasi API' }).click();
    await page.getByText('/api/v1/auth/sign-in').first().waitFor();
    await shot(page, 'admin-api-docs');
  }, 120_000);

  it('A wrong password five times locks the account, and then even the right one is refused', async () => {
    await page.goto(`${stack.url}/sign-in`);
    const messages: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await page.getByLabel('Alamat e-mail').fill('lupa@bpkad.padang.go.id');
      await page.getByLabel('Kata sandi').fill(`tebakan salah ${i}`);
      await page.getByRole('button', { name: 'Masuk' }).click();
      await page.getByRole('alert').getByText(i < 5 ? `Sisa percobaan sebelum akun dikunci: ${5 - i}.` : /Akun dikunci/).waitFor();
      messages.push((await page.getByRole('alert').textContent())!);
    }
    expect(messages[4]).toMatch(/^Akun dikunci karena kata sandi salah berulang kali, sampai .* WIB\./);
    await page.getByLabel('Kata sandi').fill(password);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('alert').getByText(/Akun dikunci/).waitFor();
    expect(page.url()).toBe(`${stack.url}/sign-in`);
    await shot(page, 'sign-in-locked');
  }, 60_000);
});
