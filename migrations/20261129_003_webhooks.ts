import type { Knex } from 'knex';

/**
 * Payer webhooks: one endpoint per payer (its signing secret encrypted at rest), the outbox of
 * events written in the same transaction as the change they report, and one delivery row per event
 * and endpoint that the delivery job works through.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.bigIncrements('id');
    t.bigInteger('payer_id').notNullable().unique().references('payers.id');
    t.text('url').notNullable();
    // AES-256-GCM under DATA_KEY, bound to the payer; never returned after it is first shown.
    t.text('secret_encrypted').notNullable();
    t.timestamp('enabled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('disabled_at', { useTz: true });
    t.text('disabled_reason');
    // A deleted endpoint keeps its row so the deliveries made to it stay visible to an admin.
    t.timestamp('deleted_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url CHECK (url ~ '^(http|https)://' AND length(url) <= 2048)`);
  await knex.raw(`ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_disabled CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL))`);
  await knex.raw(`ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_deleted CHECK (deleted_at IS NULL OR disabled_at IS NOT NULL)`);

  await knex.schema.createTable('webhook_events', (t) => {
    t.bigIncrements('id');
    // The id payers see ('evt_…'); the serial id stays internal.
    t.text('public_id').notNullable().unique();
    t.bigInteger('payer_id').notNullable().references('payers.id');
    t.text('type').notNullable();
    t.text('api_version').notNullable();
    // The whole envelope as sent: {id, type, api_version, created, data}.
    t.jsonb('payload').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['payer_id', 'id']);
    t.index(['type', 'id']);
  });
  await knex.raw(`ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type CHECK
    (type IN ('bill.issued','bill.paid','bill.partially_paid','bill.expired'))`);
  await knex.raw(`ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_public_id CHECK (public_id ~ '^evt_[0-9a-f]{24}$')`);

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    t.bigInteger('event_id').notNullable().references('webhook_events.id');
    t.bigInteger('endpoint_id').notNullable().references('webhook_endpoints.id');
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    // Bumped by each resend, so the new cycle's job id differs from the finished one's.
    t.integer('cycle').notNullable().defaultTo(1);
    t.integer('last_http_status');
    t.text('last_error');
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('last_attempt_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['event_id', 'endpoint_id']);
    t.index(['endpoint_id', 'status']);
  });
  await knex.raw(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status CHECK
    (status IN ('pending','delivered','failed','skipped'))`);
  await knex.raw(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_counts CHECK (attempts >= 0 AND cycle >= 1)`);
  await knex.raw(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pending_due CHECK
    ((status = 'pending') = (next_attempt_at IS NOT NULL))`);
  await knex.raw(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_delivered_at CHECK
    ((status = 'delivered') = (delivered_at IS NOT NULL))`);
  // The sweeper's scan: pending deliveries by due time.
  await knex.raw(`CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['webhook_deliveries', 'webhook_events', 'webhook_endpoints']) {
    await knex.schema.dropTableIfExists(table);
  }
}
