import type { Knex } from 'knex';

/**
 * People who sign in to the web pages (staff and payers' staff), their browser sessions, and the
 * API keys a payer's own system exchanges for a short-lived token.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    // Kept lower-cased, so "Ana@X" and "ana@x" are one account.
    t.text('email').notNullable().unique();
    t.text('name').notNullable();
    t.text('role').notNullable();
    t.bigInteger('payer_id').references('payers.id');
    t.bigInteger('opd_id').references('opds.id');
    // scrypt$N$r$p$salt$hash (see src/modules/users/passwords.ts).
    t.text('password_hash').notNullable();
    // Consecutive failed sign-ins; the account locks when it reaches the limit.
    t.integer('failed_sign_ins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('disabled_at', { useTz: true });
    t.timestamp('last_sign_in_at', { useTz: true });
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_role CHECK (role IN ('payer','finance','opd_admin','auditor','admin'))`);
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_email_lower CHECK (email = lower(email) AND email LIKE '%_@_%')`);
  // A payer user acts for exactly one payer, an OPD admin for exactly one OPD; no one else has either.
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_scope CHECK
    ((role = 'payer') = (payer_id IS NOT NULL) AND (role = 'opd_admin') = (opd_id IS NOT NULL))`);

  await knex.schema.createTable('user_sessions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.bigInteger('user_id').notNullable().references('users.id');
    // The session's absolute end; the cookie's token is renewed until then.
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('ip');
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id']);
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.bigIncrements('id');
    t.bigInteger('payer_id').notNullable().references('payers.id');
    t.text('name').notNullable();
    // The public half (client_id) and a SHA-256 of the secret half: the secret is random and long,
    // so a fast hash is enough, and it is never stored or shown again.
    t.text('client_id').notNullable().unique();
    t.string('secret_sha256', 64).notNullable();
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.index(['payer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_keys');
  await knex.schema.dropTableIfExists('user_sessions');
  await knex.schema.dropTableIfExists('users');
}
