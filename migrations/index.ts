import type { Knex } from 'knex';
import * as m001 from './20261129_001_core';
import * as m002 from './20261129_002_payments';
import * as m003 from './20261129_003_webhooks';
import * as m004 from './20261129_004_onboarding';
import * as m005 from './20261129_005_reconciliation';
import * as m006 from './20261129_006_treasury';
import * as m007 from './20261129_007_interest';
import * as m008 from './20261129_008_performance';
import * as m009 from './20261129_009_users';
import * as m010 from './20261130_010_reconciliation_speed';
import * as m011 from './20261130_011_shared_payment_references';
import * as m012 from './20261130_012_statement_lines_unkeyed';
import * as m013 from './20261130_013_trigger_plans';
import * as m014 from './20261208_014_audit_index';
import * as m015 from './20261208_015_balance_trigger_plans';

/**
 * Migrations are listed here in order rather than discovered on disk, so the same list runs under
 * tsx, jest and compiled JavaScript. Each runs in its own transaction (knex's default).
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129_001_core': m001,
  '20261129_002_payments': m002,
  '20261129_003_webhooks': m003,
  '20261129_004_onboarding': m004,
  '20261129_005_reconciliation': m005,
  '20261129_006_treasury': m006,
  '20261129_007_interest': m007,
  '20261129_008_performance': m008,
  '20261129_009_users': m009,
  '20261130_010_reconciliation_speed': m010,
  '20261130_011_shared_payment_references': m011,
  '20261130_012_statement_lines_unkeyed': m012,
  '20261130_013_trigger_plans': m013,
  '20261208_014_audit_index': m014,
  '20261208_015_balance_trigger_plans': m015,
};

export const migrationSource: Knex.MigrationSource<string> = {
  // Sorted by name, so the order never depends on where an entry was added above.
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
