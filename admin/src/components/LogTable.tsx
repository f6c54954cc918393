import * as React from 'react';
import {
  Button,
  Dialog,
  EmptyStateLayout,
  Flex,
  IconButton,
  Link,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
  VisuallyHidden,
} from '@strapi/design-system';
import { ArrowClockwise, ArrowLeft, ArrowRight, Eye } from '@strapi/icons';
import { EmptyDocuments } from '@strapi/icons/symbols';
import { ConfirmDialog, useFetchClient, useNotification } from '@strapi/strapi/admin';
import { NavLink } from 'react-router-dom';
import {
  API,
  errorMessage,
  type ContentType,
  type Log,
  type Pagination,
  type Webhook,
} from '../utils/api';
import { useT } from '../utils/useT';
import { StatusBadge } from './StatusBadge';
import { LogDetail, canRetryLog, retryLabel } from './LogDetail';
import { entryPath } from '../utils/entry-link';
import { LogFilters, type Filters } from './LogFilters';

interface LogTableProps {
  /** Show one webhook's deliveries only (its "Deliveries" tab). */
  webhookId?: number;
  canRetry: boolean;
  /** Open this entry's detail on mount (e.g. `?log=` after a test send). */
  initialLogId?: number | null;
}

const PAGE_SIZE = 20;

const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const endOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate(), 23, 59, 59, 999);

/** The request log: filters, table, pagination, detail, Retry and "Retry all failed". */
export const LogTable = ({ webhookId, canRetry, initialLogId }: LogTableProps) => {
  const { t, shortDateTime } = useT();
  const { get, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [filters, setFilters] = React.useState<Filters>({
    webhook: webhookId ? String(webhookId) : '',
    status: '',
    contentType: '',
    document: '',
  });
  const [documentSearch, setDocumentSearch] = React.useState('');
  const [page, setPage] = React.useState(1);
  const [logs, setLogs] = React.useState<Log[] | null>(null);
  const [pagination, setPagination] = React.useState<Pagination | null>(null);
  const [webhooks, setWebhooks] = React.useState<Webhook[]>([]);
  const [contentTypes, setContentTypes] = React.useState<ContentType[]>([]);
  const [openId, setOpenId] = React.useState<number | null>(initialLogId ?? null);
  const [confirmRetryAll, setConfirmRetryAll] = React.useState(false);
  const [loading, setLoading] = React.useState(false);

  React.useEffect(() => {
    // Content types also on a webhook's tab: an entry's link needs its kind.
    get<{ data: ContentType[] }>(`${API}/content-types`)
      .then((c) => setContentTypes(c.data.data))
      .catch(() => undefined);
    if (webhookId) return;
    get<{ data: Webhook[] }>(`${API}/webhooks`)
      .then((w) => setWebhooks(w.data.data))
      .catch(() => undefined);
  }, [get, webhookId]);

  // The document search waits for a pause in typing.
  React.useEffect(() => {
    const timer = setTimeout(() => {
      const document = documentSearch.trim();
      setFilters((f) => (f.document === document ? f : { ...f, document }));
      setPage(1);
    }, 300);
    return () => clearTimeout(timer);
  }, [documentSearch]);

  const query = React.useMemo(() => {
    const q: Record<string, string | number> = { page, pageSize: PAGE_SIZE };
    if (filters.webhook) q.webhook = filters.webhook;
    if (filters.status) q.status = filters.status;
    if (filters.contentType) q.contentType = filters.contentType;
    if (filters.document) q.document = filters.document;
    if (filters.since) q.since = startOfDay(filters.since).toISOString();
    if (filters.until) q.until = endOfDay(filters.until).toISOString();
    return q;
  }, [filters, page]);

  const load = React.useCallback(async () => {
    setLoading(true);
    try {
      const res = await get<{ data: Log[]; meta: { pagination: Pagination } }>(`${API}/logs`, {
        params: query,
      });
      setLogs(res.data.data);
      setPagination(res.data.meta?.pagination ?? null);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
      setLogs([]);
    } finally {
      setLoading(false);
    }
  }, [get, query, toggleNotification]);

  React.useEffect(() => {
    load();
  }, [load]);

  // Deliveries in flight change on their own: follow them while any is shown.
  React.useEffect(() => {
    if (!logs?.some((l) => l.status === 'pending' || l.status === 'failed')) return;
    const timer = setTimeout(load, 2000);
    return () => clearTimeout(timer);
  }, [logs, load]);

  const setFilter = (patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setPage(1);
  };

  const retryAll = async () => {
    const body: Record<string, string> = {};
    if (filters.webhook) body.webhook = filters.webhook;
    if (filters.contentType) body.contentType = filters.contentType;
    if (filters.status === 'failed' || filters.status === 'exhausted') body.status = filters.status;
    if (filters.since) body.since = startOfDay(filters.since).toISOString();
    if (filters.until) body.until = endOfDay(filters.until).toISOString();
    try {
      const res = await post<{ data: { count: number } }>(`${API}/logs/retry`, body);
      toggleNotification({
        type: 'success',
        message: t('logs.notification.retriedAll', { count: res.data.data.count }),
      });
      await load();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setConfirmRetryAll(false);
    }
  };

  const ctName = (uid: string) => contentTypes.find((c) => c.uid === uid)?.displayName ?? uid;

  return (
    <Flex direction="column" alignItems="stretch" gap={4}>
      <LogFilters
        webhookId={webhookId}
        filters={filters}
        setFilter={setFilter}
        documentSearch={documentSearch}
        setDocumentSearch={setDocumentSearch}
        webhooks={webhooks}
        contentTypes={contentTypes}
      >
        <Flex gap={2} marginLeft="auto">
          <Button
            variant="tertiary"
            size="S"
            startIcon={<ArrowClockwise />}
            onClick={load}
            loading={loading}
          >
            {t('logs.refresh')}
          </Button>
          {canRetry && (
            <Button
              variant="secondary"
              size="S"
              startIcon={<ArrowClockwise />}
              onClick={() => setConfirmRetryAll(true)}
            >
              {t('logs.retryAll')}
            </Button>
          )}
        </Flex>
      </LogFilters>

      {logs && logs.length === 0 ? (
        <EmptyStateLayout icon={<EmptyDocuments width="160px" />} content={t('logs.empty')} />
      ) : (
        <Table colCount={9} rowCount={(logs?.length ?? 0) + 1}>
          <Thead>
            <Tr>
              <Th>
                <Typography variant="sigma">{t('logs.th.time')}</Typography>
              </Th>
              {!webhookId && (
                <Th>
                  <Typography variant="sigma">{t('logs.th.webhook')}</Typography>
                </Th>
              )}
              <Th>
                <Typography variant="sigma">{t('logs.th.event')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('logs.th.document')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('logs.th.status')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('logs.th.httpStatus')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('logs.th.duration')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('logs.th.attempts')}</Typography>
              </Th>
              <Th>
                <VisuallyHidden>{t('list.th.actions')}</VisuallyHidden>
              </Th>
            </Tr>
          </Thead>
          <Tbody>
            {(logs ?? []).map((l) => (
              <Tr
                key={l.id}
                onClick={() => setOpenId(l.id)}
                style={{ cursor: 'pointer' }}
                data-log-id={l.id}
              >
                <Td>
                  <Typography>{shortDateTime(l.createdAt)}</Typography>
                </Td>
                {!webhookId && (
                  <Td style={{ maxWidth: '160px' }}>
                    <Typography fontWeight="semiBold" ellipsis tag="div" title={l.webhook?.name}>
                      {l.webhook?.name ?? '—'}
                    </Typography>
                  </Td>
                )}
                <Td>
                  <Typography>
                    {l.event === 'test' ? t('logs.event.test') : t(`event.${l.event}`)}
                  </Typography>
                  {l.changeCount !== null && (
                    <Typography textColor="neutral600">
                      {' '}
                      {t('logs.changeCount', { count: l.changeCount })}
                    </Typography>
                  )}
                </Td>
                <Td style={{ maxWidth: '180px' }}>
                  {(() => {
                    const to = entryPath(
                      l,
                      contentTypes.find((c) => c.uid === l.uid)
                    );
                    const text = l.documentTitle ?? l.documentId ?? '—';
                    const hint = l.documentId
                      ? t('logs.document.hint', {
                          title: text,
                          documentId: l.documentId,
                          locale: l.locale ?? '—',
                        })
                      : undefined;
                    return to ? (
                      <Typography
                        ellipsis
                        tag="div"
                        title={hint}
                        onClick={(e: React.MouseEvent) => e.stopPropagation()}
                      >
                        <Link
                          tag={NavLink}
                          to={to}
                          aria-label={t('logs.document.open', { title: text })}
                        >
                          {text}
                        </Link>
                      </Typography>
                    ) : (
                      <Typography ellipsis tag="div" title={hint}>
                        {text}
                      </Typography>
                    );
                  })()}
                  {!webhookId && (
                    <Typography variant="pi" textColor="neutral600" tag="div">
                      {ctName(l.uid)}
                    </Typography>
                  )}
                </Td>
                <Td>
                  <StatusBadge status={l.status} />
                </Td>
                <Td>
                  <Typography>{l.responseStatus ?? '—'}</Typography>
                </Td>
                <Td>
                  <Typography>
                    {l.durationMs !== null ? t('common.ms', { ms: l.durationMs }) : '—'}
                  </Typography>
                </Td>
                <Td>
                  <Typography>{l.attempts}</Typography>
                </Td>
                <Td onClick={(e: React.MouseEvent) => e.stopPropagation()}>
                  <Flex gap={1} justifyContent="flex-end">
                    <IconButton
                      label={t('logs.open', { id: l.id })}
                      variant="ghost"
                      onClick={() => setOpenId(l.id)}
                    >
                      <Eye />
                    </IconButton>
                    {canRetry && canRetryLog(l) && (
                      <IconButton
                        label={t(`${retryLabel(l)}One`, { id: l.id })}
                        variant="ghost"
                        onClick={async () => {
                          try {
                            await post(`${API}/logs/${l.id}/retry`);
                            toggleNotification({
                              type: 'success',
                              message: t('logs.notification.retried'),
                            });
                            await load();
                          } catch (err) {
                            toggleNotification({ type: 'danger', message: errorMessage(err) });
                          }
                        }}
                      >
                        <ArrowClockwise />
                      </IconButton>
                    )}
                  </Flex>
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}

      {pagination && pagination.total > 0 && (
        <Flex justifyContent="space-between">
          <Typography textColor="neutral600">
            {t('logs.pagination.total', { total: pagination.total })}
          </Typography>
          <Flex gap={2}>
            <IconButton
              label={t('logs.pagination.previous')}
              disabled={page <= 1}
              onClick={() => setPage((p) => p - 1)}
            >
              <ArrowLeft />
            </IconButton>
            <Typography>
              {t('logs.pagination.page', {
                page: pagination.page,
                pageCount: Math.max(pagination.pageCount, 1),
              })}
            </Typography>
            <IconButton
              label={t('logs.pagination.next')}
              disabled={page >= pagination.pageCount}
              onClick={() => setPage((p) => p + 1)}
            >
              <ArrowRight />
            </IconButton>
          </Flex>
        </Flex>
      )}

      {openId !== null && (
        <LogDetail
          id={openId}
          canRetry={canRetry}
          onClose={() => setOpenId(null)}
          onRetried={load}
        />
      )}

      <Dialog.Root open={confirmRetryAll} onOpenChange={setConfirmRetryAll}>
        <ConfirmDialog onConfirm={retryAll} variant="default" title={t('logs.retryAll.title')}>
          {t('logs.retryAll.body')}
        </ConfirmDialog>
      </Dialog.Root>
    </Flex>
  );
};
