import { BillsTable } from '../../components/BillsTable';
import { useT } from '../../i18n';

export function OpdBills() {
  const t = useT();
  return (
    <>
      <h1>{t('nav.opdBills')}</h1>
      <BillsTable base="/opd/bills" showPayer />
    </>
  );
}
