import * as React from 'react';
import {
  Box,
  Button,
  Flex,
  Loader,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
  VisuallyHidden,
} from '@strapi/design-system';
import { useFetchClient } from '@strapi/strapi/admin';
import { API, errorMessage, STATS_RANGES, type StatsRange, type WebhookSeries } from '../utils/api';
import {
  labelIndexes,
  linePath,
  linePoints,
  niceScale,
  stackedBars,
  totals,
  type ChartBox,
} from '../utils/chart';
import { useT } from '../utils/useT';

/**
 * Deliveries per hour or day (delivered / failed / exhausted, stacked) and the p50/p95
 * latency of a webhook, drawn as plain SVG (docs/admin.md, "Delivery chart"), with the same
 * numbers as a table for screen readers and on demand.
 */

/** Strapi design-system colours (success500, warning500, danger600, primary600), fixed: the SVG is not themed by styled-components. */
export const CHART_COLORS = {
  delivered: '#5cb176',
  failed: '#f29d41',
  exhausted: '#d02b20',
  latency: '#4945ff',
} as const;

const BOX: ChartBox = { width: 720, height: 220, left: 44, right: 56, top: 12, bottom: 28 };

export const DeliveryChart = ({ webhookId }: { webhookId: number }) => {
  const { t, formatNumber, locale } = useT();
  const { get } = useFetchClient();
  const [range, setRange] = React.useState<StatsRange>('24h');
  const [series, setSeries] = React.useState<WebhookSeries | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [showTable, setShowTable] = React.useState(false);
  const titleId = React.useId();

  React.useEffect(() => {
    let live = true;
    setError(null);
    get<{ data: WebhookSeries }>(`${API}/webhooks/${webhookId}/stats`, { params: { range } })
      .then((res) => live && setSeries(res.data.data))
      .catch((err) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [get, webhookId, range]);

  const hourly = range === '24h';
  const label = (iso: string) =>
    new Intl.DateTimeFormat(
      locale,
      hourly ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' }
    ).format(new Date(iso));
  const fullLabel = (iso: string) =>
    new Intl.DateTimeFormat(
      locale,
      hourly ? { dateStyle: 'short', timeStyle: 'short' } : { dateStyle: 'medium' }
    ).format(new Date(iso));

  const buckets = series?.range === range ? series.buckets : null;
  const sum = buckets ? totals(buckets) : null;
  const counts = niceScale(
    Math.max(0, ...(buckets ?? []).map((b) => b.delivered + b.failed + b.exhausted)),
    4,
    true
  );
  const latency = niceScale(Math.max(0, ...(buckets ?? []).map((b) => b.p95Ms ?? 0)), 4);
  const plotBottom = BOX.height - BOX.bottom;
  const plotH = plotBottom - BOX.top;
  const slot = (BOX.width - BOX.left - BOX.right) / Math.max(buckets?.length ?? 1, 1);

  return (
    <Flex direction="column" alignItems="stretch" gap={3} data-testid="delivery-chart">
      <Flex justifyContent="space-between" wrap="wrap" gap={2}>
        <Typography variant="delta" tag="h2" id={titleId}>
          {t('chart.title')}
        </Typography>
        <Flex gap={1} role="group" aria-label={t('chart.range')}>
          {STATS_RANGES.map((r) => (
            <Button
              key={r}
              size="S"
              variant={r === range ? 'secondary' : 'tertiary'}
              aria-pressed={r === range}
              onClick={() => setRange(r)}
            >
              {t(`chart.range.${r}`)}
            </Button>
          ))}
        </Flex>
      </Flex>
      {error ? (
        <Typography textColor="danger600">{error}</Typography>
      ) : !buckets || !sum ? (
        <Loader small>{t('common.loading')}</Loader>
      ) : (
        <>
          <Typography variant="pi" textColor="neutral600" id={`${titleId}-summary`}>
            {t('chart.summary', {
              range: t(`chart.range.${range}`),
              delivered: formatNumber(sum.delivered),
              failed: formatNumber(sum.failed),
              exhausted: formatNumber(sum.exhausted),
            })}
          </Typography>
          {/* The table below carries the numbers for assistive technology; the picture is described by the summary. */}
          <Box tag="figure" margin={0}>
            <svg
              viewBox={`0 0 ${BOX.width} ${BOX.height}`}
              width="100%"
              role="img"
              aria-labelledby={`${titleId} ${titleId}-summary`}
              style={{ display: 'block', maxHeight: 260 }}
            >
              {counts.ticks.map((v) => {
                const y = plotBottom - (v / counts.max) * plotH;
                return (
                  <g key={`c${v}`}>
                    <line x1={BOX.left} x2={BOX.width - BOX.right} y1={y} y2={y} stroke="#eaeaef" />
                    <text x={BOX.left - 6} y={y + 4} textAnchor="end" fontSize="11" fill="#666687">
                      {formatNumber(v)}
                    </text>
                  </g>
                );
              })}
              {latency.ticks.map((v) => (
                <text
                  key={`l${v}`}
                  x={BOX.width - BOX.right + 6}
                  y={plotBottom - (v / latency.max) * plotH + 4}
                  fontSize="11"
                  fill={CHART_COLORS.latency}
                >
                  {t('common.ms', { ms: formatNumber(v) })}
                </text>
              ))}
              {stackedBars(buckets, BOX, counts.max).map((b, i) => (
                <rect
                  key={i}
                  x={b.x}
                  y={b.y}
                  width={b.width}
                  height={b.height}
                  fill={CHART_COLORS[b.kind]}
                  data-kind={b.kind}
                />
              ))}
              {/* Hover targets over each slot: a native tooltip with the bucket's numbers. */}
              {buckets.map((b, i) => (
                <rect
                  key={`h${i}`}
                  x={BOX.left + i * slot}
                  y={BOX.top}
                  width={slot}
                  height={plotH}
                  fill="transparent"
                >
                  <title>
                    {`${fullLabel(b.start)} — ${t('chart.tooltip', { delivered: b.delivered, failed: b.failed, exhausted: b.exhausted, p50: b.p50Ms ?? '—', p95: b.p95Ms ?? '—' })}`}
                  </title>
                </rect>
              ))}
              <path
                d={linePath(
                  buckets.map((b) => b.p50Ms),
                  BOX,
                  latency.max
                )}
                fill="none"
                stroke={CHART_COLORS.latency}
                strokeWidth={2}
                pointerEvents="none"
              />
              <path
                d={linePath(
                  buckets.map((b) => b.p95Ms),
                  BOX,
                  latency.max
                )}
                fill="none"
                stroke={CHART_COLORS.latency}
                strokeWidth={1.5}
                strokeDasharray="4 3"
                pointerEvents="none"
              />
              {/* A dot per value, so a bucket between two empty ones still shows. */}
              {(['p50Ms', 'p95Ms'] as const).flatMap((k) =>
                linePoints(
                  buckets.map((b) => b[k]),
                  BOX,
                  latency.max
                ).map((p, i) =>
                  p ? (
                    <circle
                      key={`${k}${i}`}
                      cx={p.x}
                      cy={p.y}
                      r={k === 'p50Ms' ? 3 : 2.5}
                      fill={k === 'p50Ms' ? CHART_COLORS.latency : '#fff'}
                      stroke={CHART_COLORS.latency}
                      pointerEvents="none"
                    />
                  ) : null
                )
              )}
              <line
                x1={BOX.left}
                x2={BOX.width - BOX.right}
                y1={plotBottom}
                y2={plotBottom}
                stroke="#a5a5ba"
              />
              {labelIndexes(buckets.length, hourly ? 6 : range === '7d' ? 7 : 6).map((i) => (
                <text
                  key={`x${i}`}
                  x={BOX.left + i * slot + slot / 2}
                  y={BOX.height - 8}
                  textAnchor="middle"
                  fontSize="11"
                  fill="#666687"
                >
                  {label(buckets[i].start)}
                </text>
              ))}
            </svg>
          </Box>
          <Flex gap={4} wrap="wrap" aria-hidden>
            {(['delivered', 'failed', 'exhausted'] as const).map((k) => (
              <Flex key={k} gap={1}>
                <span
                  style={{
                    width: 10,
                    height: 10,
                    background: CHART_COLORS[k],
                    display: 'inline-block',
                    borderRadius: 2,
                  }}
                />
                <Typography variant="pi">{t(`status.${k}`)}</Typography>
              </Flex>
            ))}
            <Flex gap={1}>
              <svg width="18" height="10">
                <line x1="0" x2="18" y1="5" y2="5" stroke={CHART_COLORS.latency} strokeWidth={2} />
              </svg>
              <Typography variant="pi">{t('chart.p50')}</Typography>
            </Flex>
            <Flex gap={1}>
              <svg width="18" height="10">
                <line
                  x1="0"
                  x2="18"
                  y1="5"
                  y2="5"
                  stroke={CHART_COLORS.latency}
                  strokeWidth={1.5}
                  strokeDasharray="4 3"
                />
              </svg>
              <Typography variant="pi">{t('chart.p95')}</Typography>
            </Flex>
            <Box marginLeft="auto" />
          </Flex>
          <Box>
            <Button
              size="S"
              variant="tertiary"
              aria-expanded={showTable}
              onClick={() => setShowTable((s) => !s)}
            >
              {t(showTable ? 'chart.hideTable' : 'chart.showTable')}
            </Button>
          </Box>
          {(() => {
            const table = (
              <Table colCount={6} rowCount={buckets.length + 1}>
                <Thead>
                  <Tr>
                    <Th>
                      <Typography variant="sigma">
                        {t(hourly ? 'chart.th.hour' : 'chart.th.day')}
                      </Typography>
                    </Th>
                    <Th>
                      <Typography variant="sigma">{t('status.delivered')}</Typography>
                    </Th>
                    <Th>
                      <Typography variant="sigma">{t('status.failed')}</Typography>
                    </Th>
                    <Th>
                      <Typography variant="sigma">{t('status.exhausted')}</Typography>
                    </Th>
                    <Th>
                      <Typography variant="sigma">{t('chart.p50')}</Typography>
                    </Th>
                    <Th>
                      <Typography variant="sigma">{t('chart.p95')}</Typography>
                    </Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {buckets.map((b) => (
                    <Tr key={b.start}>
                      <Td>
                        <Typography>{fullLabel(b.start)}</Typography>
                      </Td>
                      <Td>
                        <Typography>{formatNumber(b.delivered)}</Typography>
                      </Td>
                      <Td>
                        <Typography>{formatNumber(b.failed)}</Typography>
                      </Td>
                      <Td>
                        <Typography>{formatNumber(b.exhausted)}</Typography>
                      </Td>
                      <Td>
                        <Typography>
                          {b.p50Ms === null ? '—' : t('common.ms', { ms: formatNumber(b.p50Ms) })}
                        </Typography>
                      </Td>
                      <Td>
                        <Typography>
                          {b.p95Ms === null ? '—' : t('common.ms', { ms: formatNumber(b.p95Ms) })}
                        </Typography>
                      </Td>
                    </Tr>
                  ))}
                </Tbody>
              </Table>
            );
            // Always in the page for screen readers; shown when asked for.
            return showTable ? table : <VisuallyHidden>{table}</VisuallyHidden>;
          })()}
        </>
      )}
    </Flex>
  );
};
