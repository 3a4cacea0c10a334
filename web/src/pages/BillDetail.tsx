import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api';
import { DataTable, numeric } from '../components/DataTable';
import { CopyButton, Download, ErrorMessage, Loading, StatusBadge, useLoad } from '../components/ui';
import { date, dateTime, rupiah, va } from '../format';
import { useLang, useT } from '../i18n';
import { useUser } from '../session';
import type { BankChannel, Bill, Payment } from '../types';

const PAYABLE = new Set(['issued', 'partially_paid']);

/** A bill: what it is for, how to pay it at the bank, its documents and its payments. */
export function BillDetail() {
  const t = useT();
  const { lang } = useLang();
  const user = useUser();
  const billNo = useParams().billNo!;
  const base = user.role === 'payer' ? '/payer/bills' : '/opd/bills';
  const { data, error, loading } = useLoad(async () => {
    const [bill, payments, channels] = await Promise.all([
      api<Bill>(`/bills/${encodeURIComponent(billNo)}`),
      api<{ data: Payment[] }>(`/bills/${encodeURIComponent(billNo)}/payments`),
      api<{ data: BankChannel[] }>('/bank-channels'),
    ]);
    return { bill, payments: payments.data, channel: channels.data.find((c) => c.code === bill.bank_channel) };
  }, [billNo]);

  if (!data) {
    return (
      <>
        <h1>{billNo}</h1>
        <Loading when={loading} />
        <ErrorMessage error={error} />
      </>
    );
  }
  const { bill, payments, channel } = data;
  const bankName = channel?.bank_name ?? bill.bank_channel;
  return (
    <>
      <p>
        <Link to={base}>← {t('bill.back')}</Link>
      </p>
      <h1>
        {bill.document_type} {bill.bill_no}
      </h1>
      <dl className="facts">
        <dt>{t('bill.status')}</dt>
        <dd>
          <StatusBadge status={bill.status} />
        </dd>
        <dt>{t('bill.payer')}</dt>
        <dd>
          {bill.payer.name} ({bill.payer.npwrd})
        </dd>
        <dt>{t('bill.levy')}</dt>
        <dd>
          {bill.levy_type} · {bill.period}
        </dd>
        <dt>{t('bill.amount')}</dt>
        <dd className="amount">{rupiah(bill.amount)}</dd>
        <dt>{t('bill.paid')}</dt>
        <dd>{rupiah(bill.paid_amount)}</dd>
        <dt>{t('bill.dueDate')}</dt>
        <dd>{date(lang, bill.due_date)}</dd>
        <dt>{t('bill.va')}</dt>
        <dd>
          {bill.virtual_account ? (
            <>
              <span className="mono big">{va(bill.virtual_account)}</span> <CopyButton value={bill.virtual_account} label={t('bill.va')} />
            </>
          ) : (
            '–'
          )}
        </dd>
        {bill.expires_at && (
          <>
            <dt>{t('bill.expires')}</dt>
            <dd>{dateTime(lang, bill.expires_at)}</dd>
          </>
        )}
      </dl>

      <section aria-labelledby="docs">
        <h2 id="docs">{t('bill.documents')}</h2>
        <div className="actions">
          {bill.virtual_account && (
            <Download href={`/bills/${bill.bill_no}/skrd.pdf`}>
              {t('bill.download')} {bill.document_type} (PDF)
            </Download>
          )}
          {bill.paid_amount > 0 && <Download href={`/bills/${bill.bill_no}/receipt.pdf`}>{t('bill.downloadReceipt')} (PDF)</Download>}
        </div>
      </section>

      {bill.virtual_account && PAYABLE.has(bill.status) && (
        <HowToPay bankName={bankName} virtualAccount={bill.virtual_account} qrPayload={[bankName, bill.virtual_account, bill.amount, bill.bill_no].join('|')} amount={bill.amount - bill.paid_amount} />
      )}

      <details open={bill.lines.length <= 10} className="lines">
        <summary>{t('bill.linesSummary', { n: bill.lines.length })}</summary>
        <DataTable
        caption={t('bill.lines')}
        data={bill.lines}
        columns={[
          { header: '#', accessorKey: 'line_no' },
          { header: t('bill.object'), id: 'object', accessorFn: (l) => (l.object_code ? `${l.object_code} ${l.object_name ?? ''}` : '–') },
          { header: t('bill.accountCode'), accessorKey: 'account_code' },
          { header: t('bill.description'), accessorKey: 'description' },
          { header: t('bill.amount'), accessorKey: 'amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
        ]}
      />
      </details>

      <DataTable
        caption={t('bill.payments')}
        data={payments}
        empty={t('bill.noPayments')}
        columns={[
          { header: t('bill.receiptNo'), accessorKey: 'receipt_no' },
          { header: 'NTB', accessorKey: 'payment_ref' },
          { header: t('bill.paidAt'), accessorKey: 'paid_at', cell: (c) => dateTime(lang, c.getValue<string>()) },
          { header: t('bill.amount'), accessorKey: 'amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: t('bill.receipt'), id: 'receipt', cell: (c) => <Download href={`/payments/${c.row.original.id}/receipt.pdf`}>PDF</Download> },
        ]}
      />
    </>
  );
}

/** The bank's channels in the payer's words, with the same QR code the SKRD prints. */
function HowToPay({ bankName, virtualAccount, qrPayload, amount }: { bankName: string; virtualAccount: string; qrPayload: string; amount: number }) {
  const t = useT();
  const [qr, setQr] = useState<string>();
  useEffect(() => {
    void QRCode.toDataURL(qrPayload, { margin: 1, width: 180 }).then(setQr);
  }, [qrPayload]);
  const vars = { bank: bankName, va: va(virtualAccount), amount: rupiah(amount) };
  return (
    <section aria-labelledby="how" className="how-to-pay">
      <h2 id="how">{t('pay.title', vars)}</h2>
      <div className="how-grid">
        <div>
          {(['atm', 'mobile', 'teller', 'otherBank'] as const).map((channel) => (
            <details key={channel} open={channel === 'atm'}>
              <summary>{t(`pay.${channel}.title`, vars)}</summary>
              <ol>
                {t(`pay.${channel}.steps`, vars)
                  .split('|')
                  .map((step) => (
                    <li key={step}>{step}</li>
                  ))}
              </ol>
            </details>
          ))}
        </div>
        {qr && (
          <figure>
            <img src={qr} width={180} height={180} alt={t('pay.qrAlt', vars)} />
            <figcaption>{t('pay.qrCaption')}</figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}
