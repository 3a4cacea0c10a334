import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import helmet from 'helmet';
import { config } from '../../config';
import { AppError } from '../../errors';

/** The first path segments of the web pages (web/src/routes.tsx); anything else stays the API's 404. */
export const PAGE_ROOTS = ['', 'sign-in', 'payer', 'finance', 'opd', 'admin'];

/**
 * Security headers for everything the app serves. The pages load only their own scripts; styles
 * allow inline attributes because the chart library positions its tooltips with them; images
 * allow data: URLs for the VA's QR code. Plain http (a laptop, the tests) must keep working, so
 * upgrade-insecure-requests is only sent where cookies are Secure.
 */
export function securityHeaders() {
  const https = config().COOKIE_SECURE === 'true' || (config().COOKIE_SECURE === 'auto' && config().NODE_ENV === 'production');
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'upgrade-insecure-requests': https ? [] : null,
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
      },
    },
    strictTransportSecurity: https,
  });
}

/**
 * The built single-page app (web/dist, from `npm run build:web`): hashed assets cached for good,
 * and index.html, never cached, for every page URL so a reload or a bookmark opens the page.
 */
export function webPages(): Router {
  const dist = path.resolve(config().WEB_DIST);
  const index = path.join(dist, 'index.html');
  const pages = Router();
  pages.use('/assets', express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  pages.get(/^\/([a-z-]*)(\/.*)?$/, (req, res, next) => {
    const root = /^\/([a-z-]*)/.exec(req.path)![1];
    if (!PAGE_ROOTS.includes(root)) return next();
    if (!fs.existsSync(index)) throw new AppError('web_not_built', 'The web pages are not built; run `npm run build:web`', 503);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return pages;
}
