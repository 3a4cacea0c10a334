import type { Knex } from 'knex';

/**
 * How each payment's applied amount divides over its bill's kode rekening: in proportion to the
 * bill's amount per account code, rounded down, the remainder to the last code. It is the rule the
 * receipt (SSRD) prints with, so an STS and the daily recap add up to the receipts they cover; here
 * it runs in SQL over a whole day's payments, in exact numeric arithmetic.
 *
 * `payments` is any query yielding `id`, `bill_id` and `applied_amount`; the result has one row per
 * (payment_id, account_code, amount). Overpayment credit is not revenue and is left out.
 */
export function revenueSplit(db: Knex, payments: Knex.QueryBuilder): Knex.Raw {
  return db.raw(
    `SELECT payment_id, account_code,
            CASE WHEN from_last = 1 THEN applied_amount - (sum(share) OVER (PARTITION BY payment_id) - share)
                 ELSE share END::bigint AS amount
       FROM (
         SELECT pay.id AS payment_id, acc.account_code, pay.applied_amount,
                floor(pay.applied_amount::numeric * acc.amount / b.amount) AS share,
                row_number() OVER (PARTITION BY pay.id ORDER BY acc.account_code DESC) AS from_last
           FROM (?) pay
           JOIN bills b ON b.id = pay.bill_id
           JOIN LATERAL (
             SELECT account_code, sum(amount) AS amount FROM bill_lines WHERE bill_id = pay.bill_id GROUP BY account_code
           ) acc ON true
          WHERE pay.applied_amount > 0
       ) shares`,
    [payments],
  );
}
