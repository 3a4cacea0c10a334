import { BillsTable } from '../../components/BillsTable';
import { useT } from '../../i18n';

export function PayerBills() {
  const t = useT();
  return (
    <>
      <h1>{t('payer.billsTitle')}</h1>
      <p>{t('payer.billsLead')}</p>
      <BillsTable base="/payer/bills" />
    </>
  );
}
