import { api } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { ErrorMessage, useLoad } from '../../components/ui';
import { useT } from '../../i18n';
import type { BankChannel } from '../../types';

export function AdminChannels() {
  const t = useT();
  const { data, error } = useLoad(() => api<{ data: BankChannel[] }>('/bank-channels'), []);
  return (
    <>
      <h1>{t('channels.title')}</h1>
      <ErrorMessage error={error} />
      <DataTable
        caption={t('channels.title')}
        data={data?.data ?? []}
        columns={[
          { header: t('levy.code'), accessorKey: 'code' },
          { header: t('levy.name'), accessorKey: 'name' },
          { header: t('finance.bank'), accessorKey: 'bank_name' },
          { header: t('channels.connector'), accessorKey: 'connector' },
          { header: t('channels.concurrency'), accessorKey: 'concurrency', ...numeric },
          { header: t('channels.rate'), accessorKey: 'rate_per_second', ...numeric },
          { header: t('channels.timeZone'), accessorKey: 'time_zone' },
        ]}
      />
      <h2>{t('channels.tools')}</h2>
      <ul>
        <li>
          <a href="/admin/queues">{t('channels.queues')}</a>
        </li>
        <li>
          <a href="/api/docs/">{t('channels.docs')}</a>
        </li>
      </ul>
    </>
  );
}
