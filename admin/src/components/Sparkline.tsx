import * as React from 'react';
import { useFetchClient } from '@strapi/strapi/admin';
import { API, type WebhookSeries } from '../utils/api';
import { stackedBars, totals } from '../utils/chart';
import { useT } from '../utils/useT';
import { CHART_COLORS } from './DeliveryChart';

const BOX = { width: 96, height: 20, left: 0, right: 0, top: 1, bottom: 1 };

/** The list's 24 h sparkline: deliveries per hour, delivered / failed / exhausted stacked (docs/admin.md). */
export const Sparkline = ({ webhookId }: { webhookId: number }) => {
  const { t } = useT();
  const { get } = useFetchClient();
  const [series, setSeries] = React.useState<WebhookSeries | null>(null);

  React.useEffect(() => {
    let live = true;
    get<{ data: WebhookSeries }>(`${API}/webhooks/${webhookId}/stats`, { params: { range: '24h' } })
      .then((res) => live && setSeries(res.data.data))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [get, webhookId]);

  if (!series) return <svg width={BOX.width} height={BOX.height} aria-hidden />;
  const sum = totals(series.buckets);
  const max = Math.max(1, ...series.buckets.map((b) => b.delivered + b.failed + b.exhausted));
  return (
    <svg
      width={BOX.width}
      height={BOX.height}
      role="img"
      aria-label={t('chart.sparkline', sum)}
      data-testid="sparkline"
      style={{ display: 'block' }}
    >
      <title>{t('chart.sparkline', sum)}</title>
      <line x1={0} x2={BOX.width} y1={BOX.height - 0.5} y2={BOX.height - 0.5} stroke="#dcdce4" />
      {stackedBars(series.buckets, BOX, max).map((b, i) => (
        <rect
          key={i}
          x={b.x}
          y={b.y}
          width={b.width}
          height={b.height}
          fill={CHART_COLORS[b.kind]}
        />
      ))}
    </svg>
  );
};
