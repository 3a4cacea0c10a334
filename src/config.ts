import { z } from 'zod';

/**
 * The whole configuration, read from the environment once and validated. A bad value stops the
 * process with a message naming the variable. Defaults are for a developer's machine: they point at
 * the local PostgreSQL and Redis and at the bundled BNI simulator.
 */
const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/kasda'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_.:-]+\}$/, 'must be a Redis Cluster hash tag such as {kasda}')
    .default('{kasda}'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Encrypts secrets kept in the database (payers' webhook signing secrets) with AES-256-GCM.
  DATA_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().default('kasda'),
  BODY_LIMIT: z.string().default('100kb'),
  // Web sign-in: the session cookie's token lives SESSION_TOKEN_MINUTES and is renewed while the
  // session lasts (SESSION_HOURS); SIGN_IN_LOCK_AFTER wrong passwords in a row lock the account.
  SESSION_TOKEN_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  SESSION_HOURS: z.coerce.number().int().min(1).max(24).default(10),
  SIGN_IN_LOCK_AFTER: z.coerce.number().int().min(1).max(100).default(5),
  SIGN_IN_LOCK_MINUTES: z.coerce.number().int().min(1).max(10080).default(15),
  // "auto": Secure cookies in production only, so the pages work over plain http on a laptop.
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  API_KEY_TOKEN_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  // Per client IP on /api/v1, per token after authentication, and sign-in attempts per IP. High by
  // default: a busy provider's system and the bank-facing load must not be throttled.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  RATE_LIMIT_PER_TOKEN_PER_MINUTE: z.coerce.number().int().min(1).default(3000),
  SIGN_IN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  // Proxies in front of the app whose X-Forwarded-For is believed (Express "trust proxy" hops).
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  WEB_DIST: z.string().default('web/dist'),
  BNI_BASE_URL: z.string().url().default('http://127.0.0.1:3100/'),
  BNI_CLIENT_ID: z.string().regex(/^\d{2,5}$/, 'must be 2 to 5 digits').default('00123'),
  BNI_SECRET_KEY: z.string().min(1).default('ea0c88921fb033387e66ef7d1e82ab83'),
  BNI_PREFIX: z.string().regex(/^\d{1,4}$/, 'must be 1 to 4 digits').default('988'),
  BNI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(15000),
  SNAP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(15000),
  // The seeded SNAP channel ("Bank Nagari"); defaults point at the bundled SNAP simulator and its
  // development keys. Keys may be PEM text or file:PATH.
  NAGARI_BASE_URL: z.string().url().default('http://127.0.0.1:3200'),
  NAGARI_CLIENT_ID: z.string().min(1).default('KASDAPADANG'),
  NAGARI_CLIENT_SECRET: z.string().min(16).default('nagari-simulator-client-secret'),
  NAGARI_PRIVATE_KEY: z.string().min(1).default('file:seeds/dev-keys/kasda-partner.key.pem'),
  NAGARI_PARTNER_SERVICE_ID: z.string().regex(/^\d{1,8}$/, 'must be 1 to 8 digits').default('77001'),
  NAGARI_CHANNEL_ID: z.string().min(1).default('95221'),
  NAGARI_BANK_PUBLIC_KEY: z.string().min(1).default('file:seeds/dev-keys/nagari-bank.pub.pem'),
  SNAP_SIM_PORT: port.default(3200),
  SNAP_SIM_BANK_PRIVATE_KEY: z.string().min(1).default('file:seeds/dev-keys/nagari-bank.key.pem'),
  SNAP_SIM_CALLBACK_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:3000/api/v1/bank-callbacks/bank-nagari/v1.0/transfer-va/payment'),
  BANK_SIM_HOST: z.string().default('127.0.0.1'),
  BANK_SIM_PORT: port.default(3100),
  BANK_SIM_CALLBACK_URL: z.string().url().default('http://127.0.0.1:3000/api/v1/bank-callbacks/bni-ecollection'),
  BANK_SIM_LATENCY_MS: z.coerce.number().int().min(0).max(60000).default(0),
  DOCUMENTS_DIR: z.string().default('out'),
  // How long a worker holds a job before another may take it over (a crashed worker's jobs wait this long).
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600000).default(30000),
  // Receipts (SSRD PDFs) rendered per second by each worker process that renders them (and receipt
  // jobs started per second across all workers). A receipt costs more CPU than applying its
  // payment, so on the busiest day they trail the payments instead of slowing them; one asked for
  // before its turn is rendered on demand.
  RECEIPTS_PER_SECOND: z.coerce.number().int().min(1).max(10000).default(50),
  // Which queues a `work` process serves ("all", or a comma-separated list of assessments, payments,
  // receipts, webhooks, maintenance, issuing), and how nice it is to the others (0-19, as nice(1)):
  // receipts can render in a process of their own at a lower priority than the bank-facing path.
  WORKER_QUEUES: z
    .string()
    .regex(/^(all|(assessments|payments|receipts|webhooks|maintenance|issuing)(,(assessments|payments|receipts|webhooks|maintenance|issuing))*)$/, 'must be "all" or a comma-separated list of assessments, payments, receipts, webhooks, maintenance, issuing')
    .default('all'),
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(0),
  SWEEP_QUIET_MINUTES: z.coerce.number().min(0).max(100000).default(60),
  SWEEP_INQUIRIES_PER_SECOND: z.coerce.number().min(0.01).max(1000).default(2),
  SWEEP_INQUIRY_LIMIT: z.coerce.number().int().min(0).max(100000).default(200),
});

export type Config = Readonly<z.infer<typeof schema> & { JWT_SECRET: string; DATA_KEY: string }>;

const DEV_JWT_SECRET = 'kasda-development-secret-not-for-production-use';
const DEV_DATA_KEY = 'kasda-development-data-key-not-for-production-use';

export class ConfigError extends Error {}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  if (c.NODE_ENV === 'production' && !c.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required in production');
  }
  if (c.NODE_ENV === 'production' && !c.DATA_KEY) {
    throw new ConfigError('Invalid configuration:\n  DATA_KEY: required in production');
  }
  return Object.freeze({ ...c, JWT_SECRET: c.JWT_SECRET ?? DEV_JWT_SECRET, DATA_KEY: c.DATA_KEY ?? DEV_DATA_KEY });
}

let current: Config | undefined;

/** The process configuration, parsed on first use. */
export function config(): Config {
  current ??= parseConfig(process.env);
  return current;
}

/** For tests and the demo, which change the environment before starting components. */
export function resetConfig(): void {
  current = undefined;
}
