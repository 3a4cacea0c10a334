import type { Knex } from 'knex';
import { recordEvents } from '../webhooks/service';
import type { WebhookEventType } from '../webhooks/schema';

/**
 * Tells the payer's own system about a bill, through the webhook outbox, in the caller's
 * transaction: the event exists exactly when the change it reports does.
 */
export async function recordBillEvent(
  trx: Knex,
  billId: number,
  type: WebhookEventType,
  extra: Record<string, unknown> = {},
): Promise<number | null> {
  const [delivery] = await recordBillEvents(trx, [{ billId, type, extra }]);
  return delivery;
}

/** The same for several bills in a few statements (the apply worker's batches), in order. */
export async function recordBillEvents(
  trx: Knex,
  events: Array<{ billId: number; type: WebhookEventType; extra?: Record<string, unknown> }>,
): Promise<Array<number | null>> {
  if (events.length === 0) return [];
  const rows = await trx('bills as b')
    .join('payers as p', 'p.id', 'b.payer_id')
    .join('levy_types as lt', 'lt.id', 'b.levy_type_id')
    .whereIn('b.id', [...new Set(events.map((e) => e.billId))])
    .select(
      'b.id',
      'b.payer_id',
      'b.bill_no',
      'b.document_type',
      'b.period',
      'b.status',
      'b.amount',
      'b.paid_amount',
      'b.virtual_account',
      'b.due_date',
      'b.expires_at',
      'p.npwrd',
      'lt.code as levy_type',
    );
  const bills = new Map(rows.map((b) => [Number(b.id), b]));
  return recordEvents(
    trx,
    events.map((e) => {
      const b = bills.get(e.billId)!;
      return {
        payerId: b.payer_id,
        type: e.type,
        data: {
          bill: {
            bill_no: b.bill_no,
            document_type: b.document_type,
            levy_type: b.levy_type,
            period: b.period,
            status: b.status,
            amount: b.amount,
            paid_amount: b.paid_amount,
            outstanding: b.amount - b.paid_amount,
            virtual_account: b.virtual_account,
            due_date: b.due_date,
            expires_at: b.expires_at,
            payer: { npwrd: b.npwrd },
          },
          ...e.extra,
        },
      };
    }),
  );
}
