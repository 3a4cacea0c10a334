import type { Knex } from 'knex';
import { chainAuditRows } from '../src/modules/audit/chain';

/**
 * Payments: the bank-notification inbox, payments applied exactly once, the double-entry ledger
 * (balanced per entry and immutable, enforced by the database), stored documents, and the audit
 * trail chained by hash per entity.
 */
export async function up(knex: Knex): Promise<void> {
  // Receipts (NTPD) get their own gapless sequence beside bill numbers.
  await knex.raw('ALTER TABLE bill_number_sequences RENAME TO document_sequences');
  await knex.raw(`ALTER TABLE document_sequences ADD COLUMN kind text NOT NULL DEFAULT 'bill'`);
  await knex.raw('ALTER TABLE document_sequences DROP CONSTRAINT bill_number_sequences_pkey');
  await knex.raw('ALTER TABLE document_sequences ADD PRIMARY KEY (opd_id, year, kind)');
  await knex.raw(`ALTER TABLE document_sequences ADD CONSTRAINT document_sequences_kind CHECK (kind IN ('bill','receipt'))`);

  await knex.schema.alterTable('bills', (t) => {
    t.timestamp('last_payment_at', { useTz: true });
    t.timestamp('last_inquired_at', { useTz: true });
  });
  await knex.raw(`CREATE INDEX bills_open_by_inquiry ON bills (last_inquired_at NULLS FIRST, id) WHERE status IN ('issued','partially_paid')`);

  await knex.schema.createTable('bank_notifications', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.text('source').notNullable();
    t.text('source_ip');
    t.text('raw').notNullable();
    t.jsonb('decoded');
    t.text('trx_id').notNullable();
    t.text('payment_ref').notNullable();
    t.text('virtual_account');
    t.bigInteger('amount').notNullable();
    t.bigInteger('cumulative');
    t.timestamp('paid_at', { useTz: true }).notNullable();
    t.bigInteger('bill_id').references('bills.id');
    t.text('status').notNullable();
    t.text('reason');
    t.jsonb('answer').notNullable();
    t.integer('duplicates').notNullable().defaultTo(0);
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    // One row per bank payment, however often the bank sends it.
    t.unique(['bank_channel_id', 'trx_id', 'payment_ref']);
  });
  await knex.raw(`ALTER TABLE bank_notifications ADD CONSTRAINT bank_notifications_status CHECK
    (status IN ('pending','applied','duplicate','exception'))`);
  await knex.raw(`ALTER TABLE bank_notifications ADD CONSTRAINT bank_notifications_source CHECK
    (source IN ('callback','inquiry','statement'))`);
  await knex.raw(`ALTER TABLE bank_notifications ADD CONSTRAINT bank_notifications_amounts CHECK (amount >= 0 AND (cumulative IS NULL OR cumulative >= 0))`);
  await knex.raw(`CREATE INDEX bank_notifications_pending ON bank_notifications (received_at) WHERE status = 'pending'`);
  await knex.raw(`CREATE INDEX bank_notifications_exceptions ON bank_notifications (received_at) WHERE status = 'exception'`);

  // Requests that failed verification: kept apart from the inbox, never applied.
  await knex.schema.createTable('bank_callback_rejections', (t) => {
    t.bigIncrements('id');
    t.text('channel_code').notNullable();
    t.text('source_ip');
    t.text('reason').notNullable();
    t.text('raw_excerpt').notNullable();
    t.integer('raw_bytes').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('payments', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.bigInteger('bill_id').notNullable().references('bills.id');
    t.bigInteger('notification_id').notNullable().unique().references('bank_notifications.id');
    t.text('trx_id').notNullable();
    t.text('payment_ref').notNullable();
    t.text('receipt_no').notNullable().unique();
    t.bigInteger('amount').notNullable();
    t.bigInteger('applied_amount').notNullable();
    t.bigInteger('credit_amount').notNullable();
    t.bigInteger('cumulative_reported');
    t.text('source').notNullable();
    t.text('note');
    t.timestamp('paid_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['bank_channel_id', 'trx_id', 'payment_ref']);
    t.index(['bill_id']);
    t.index(['paid_at']);
  });
  await knex.raw(`ALTER TABLE payments ADD CONSTRAINT payments_split CHECK
    (amount > 0 AND applied_amount >= 0 AND credit_amount >= 0 AND applied_amount + credit_amount = amount)`);

  await knex.schema.createTable('ledger_entries', (t) => {
    t.bigIncrements('id');
    t.text('kind').notNullable();
    t.text('description').notNullable();
    t.bigInteger('bill_id').references('bills.id');
    t.bigInteger('payment_id').references('payments.id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['bill_id']);
  });
  await knex.raw(`ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind CHECK (kind IN ('bill_issued','payment','correction'))`);
  // A bill is booked once and a payment once; corrections are their own entries.
  await knex.raw(`CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (kind, coalesce(payment_id, 0), coalesce(bill_id, 0)) WHERE kind <> 'correction'`);

  await knex.schema.createTable('ledger_lines', (t) => {
    t.bigIncrements('id');
    t.bigInteger('entry_id').notNullable().references('ledger_entries.id');
    t.text('account').notNullable();
    t.bigInteger('bill_id').references('bills.id');
    t.bigInteger('debit').notNullable().defaultTo(0);
    t.bigInteger('credit').notNullable().defaultTo(0);
    t.index(['entry_id']);
    t.index(['account']);
    t.index(['bill_id']);
  });
  await knex.raw(`ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_one_side CHECK
    (debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0))`);
  await knex.raw(`ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_account CHECK
    (account ~ '^(receivable|revenue|clearing|credit):[A-Za-z0-9_.:-]+$')`);

  // Every entry balances when its transaction commits, and nothing in the ledger ever changes.
  await knex.raw(`
    CREATE FUNCTION ledger_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE d bigint; c bigint;
    BEGIN
      SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO d, c FROM ledger_lines WHERE entry_id = NEW.entry_id;
      IF d <> c OR d = 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance: debit % credit %', NEW.entry_id, d, c;
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances()`);
  await knex.raw(`
    CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the ledger is append-only: post a correction instead'; END $$`);
  for (const table of ['ledger_entries', 'ledger_lines']) {
    await knex.raw(`CREATE TRIGGER ${table}_immutable BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_immutable()`);
  }

  await knex.schema.createTable('documents', (t) => {
    t.bigIncrements('id');
    t.text('kind').notNullable();
    t.text('template').notNullable();
    t.bigInteger('bill_id').references('bills.id');
    t.bigInteger('payment_id').references('payments.id');
    t.string('sha256', 64).notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['kind', 'payment_id']);
  });

  await knex.schema.alterTable('audit_log', (t) => {
    t.integer('seq');
    t.string('prev_hash', 64);
    t.string('hash', 64);
  });
  await chainAuditRows(knex);
  await knex.raw('ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL, ALTER COLUMN hash SET NOT NULL');
  await knex.raw('CREATE UNIQUE INDEX audit_log_chain ON audit_log (entity_type, entity_id, seq)');
  await knex.raw(`CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION ledger_immutable()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS audit_log_immutable ON audit_log');
  await knex.raw('DROP INDEX IF EXISTS audit_log_chain');
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropColumns('seq', 'prev_hash', 'hash');
  });
  for (const table of ['documents', 'ledger_lines', 'ledger_entries', 'payments', 'bank_callback_rejections', 'bank_notifications']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('DROP FUNCTION IF EXISTS ledger_entry_balances()');
  await knex.raw('DROP FUNCTION IF EXISTS ledger_immutable()');
  await knex.raw('DROP INDEX IF EXISTS bills_open_by_inquiry');
  await knex.schema.alterTable('bills', (t) => {
    t.dropColumns('last_payment_at', 'last_inquired_at');
  });
  await knex.raw(`DELETE FROM document_sequences WHERE kind <> 'bill'`);
  await knex.raw('ALTER TABLE document_sequences DROP CONSTRAINT document_sequences_pkey');
  await knex.raw('ALTER TABLE document_sequences DROP COLUMN kind');
  await knex.raw('ALTER TABLE document_sequences ADD CONSTRAINT bill_number_sequences_pkey PRIMARY KEY (opd_id, year)');
  await knex.raw('ALTER TABLE document_sequences RENAME TO bill_number_sequences');
}
