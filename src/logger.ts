import pino from 'pino';
import { config } from './config';

/** Structured JSON logs. Secrets and bearer tokens are redacted wherever they appear. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'kasda' },
  redact: {
    paths: [
      'req.headers.authorization',
      'req.headers.cookie',
      '*.secret',
      '*.secret_key',
      '*.secretKey',
      '*.password',
      'config.BNI_SECRET_KEY',
      'config.JWT_SECRET',
      'config.DATA_KEY',
      'config.NAGARI_CLIENT_SECRET',
      'config.NAGARI_PRIVATE_KEY',
    ],
    censor: '[redacted]',
  },
});

export function configureLogger(): void {
  logger.level = config().LOG_LEVEL;
}
