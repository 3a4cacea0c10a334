import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download). CI installs it (.ci/run);
 * where it is missing the browser tests are skipped with a message, and only then.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const describeInBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium) console.warn(`Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const root = path.join(__dirname, '..', '..');
export const ARTIFACTS = path.join(root, 'test-artifacts', 'browser');

/** The pages must be built; `npm test` builds them first, a lone jest run builds them here. */
export function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(root, 'web', 'dist', 'index.html'))) return;
  execFileSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.mts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

export function launch(): Promise<Browser> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Playwright starts each launch with a fresh, empty user-data directory of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A screenshot of the whole page, kept as a test artifact (test-artifacts/ is not committed). */
export async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${process.env.TZ === 'UTC' ? 'utc-' : ''}${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('Alamat e-mail').fill(email);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
}
