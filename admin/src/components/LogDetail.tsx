import * as React from 'react';
import {
  Box,
  Button,
  Flex,
  Grid,
  Modal,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
} from '@strapi/design-system';
import { ArrowClockwise } from '@strapi/icons';
import { Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import { API, errorMessage, pretty, type Log } from '../utils/api';
import { useT } from '../utils/useT';
import { CodeBlock, headerLines } from './CodeBlock';
import { StatusBadge } from './StatusBadge';

/** Entries with a request or a captured change to render can be sent again (docs/api.md); not while queued. */
export const canRetryLog = (log: Log) => log.retryable && log.status !== 'pending';
/** A delivered entry is sent again as a resend. */
export const retryLabel = (log: Log) => (log.status === 'delivered' ? 'logs.resend' : 'logs.retry');

const Item = ({ label, children }: { label: string; children: React.ReactNode }) => (
  <Grid.Item col={4} s={6} xs={12} direction="column" alignItems="flex-start" gap={1}>
    <Typography variant="sigma" textColor="neutral600">
      {label}
    </Typography>
    <Typography tag="div" textColor="neutral800" style={{ wordBreak: 'break-all' }}>
      {children}
    </Typography>
  </Grid.Item>
);

/** A coalescing window's changes, one line each: time, event, document (by webhook), user. */
export const changeLines = (changes: Record<string, unknown>[]) =>
  changes
    .map((c) => {
      const doc = c.documentId ? ` ${c.documentId}${c.locale ? ` (${c.locale})` : ''}` : '';
      const user = (c.user as { email?: string } | null)?.email;
      return `${c.occurredAt}  ${c.event}${doc}${user ? `  ${user}` : ''}`;
    })
    .join('\n');

interface LogDetailProps {
  id: number;
  canRetry: boolean;
  onClose: () => void;
  onRetried: () => void;
}

/** One request-log entry: request, response, attempts, next retry; Retry. */
export const LogDetail = ({ id, canRetry, onClose, onRetried }: LogDetailProps) => {
  const { t, dateTime } = useT();
  const { get, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [log, setLog] = React.useState<Log | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [retrying, setRetrying] = React.useState(false);

  const load = React.useCallback(async () => {
    try {
      const res = await get<{ data: Log }>(`${API}/logs/${id}`);
      setLog(res.data.data);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [get, id]);

  React.useEffect(() => {
    load();
  }, [load]);

  // While a delivery is on its way, follow it.
  React.useEffect(() => {
    if (!log || (log.status !== 'pending' && log.status !== 'failed')) return;
    const timer = setTimeout(load, 1500);
    return () => clearTimeout(timer);
  }, [log, load]);

  const retry = async () => {
    setRetrying(true);
    try {
      const res = await post<{ data: Log }>(`${API}/logs/${id}/retry`);
      setLog(res.data.data);
      toggleNotification({ type: 'success', message: t('logs.notification.retried') });
      onRetried();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setRetrying(false);
    }
  };

  return (
    <Modal.Root open onOpenChange={(open) => !open && onClose()}>
      <Modal.Content style={{ maxWidth: '900px', width: '90vw' }}>
        <Modal.Header closeLabel={t('common.close')}>
          <Modal.Title>{t('logs.detail.title', { id })}</Modal.Title>
        </Modal.Header>
        <Modal.Body>
          {error ? (
            <Typography textColor="danger600">{error}</Typography>
          ) : !log ? (
            <Page.Loading />
          ) : (
            <Flex direction="column" alignItems="stretch" gap={6}>
              <Grid.Root gap={4}>
                <Item label={t('logs.th.status')}>
                  <StatusBadge status={log.status} />
                </Item>
                <Item label={t('logs.th.webhook')}>{log.webhook?.name ?? '—'}</Item>
                <Item label={t('logs.th.event')}>
                  {log.event === 'test' ? t('logs.event.test') : t(`event.${log.event}`)}{' '}
                  <Typography textColor="neutral500">({log.event})</Typography>
                </Item>
                <Item label={t('logs.th.document')}>
                  {log.documentId ?? '—'}
                  {log.locale ? ` (${log.locale})` : ''}
                </Item>
                <Item label={t('logs.th.time')}>{dateTime(log.createdAt)}</Item>
                <Item label={t('logs.th.attempts')}>{log.attempts}</Item>
                <Item label={t('logs.detail.nextRetry')}>
                  {log.nextAttemptAt ? dateTime(log.nextAttemptAt) : '—'}
                </Item>
                <Item label={t('logs.th.duration')}>
                  {log.durationMs !== null ? t('common.ms', { ms: log.durationMs }) : '—'}
                </Item>
                <Item label={t('logs.detail.user')}>{log.user?.email ?? '—'}</Item>
              </Grid.Root>
              {log.changes && (
                <Flex direction="column" alignItems="stretch" gap={2}>
                  <Typography variant="delta" tag="h3">
                    {t('logs.changes', { count: log.changeCount ?? log.changes.length })}
                  </Typography>
                  {log.status === 'pending' && log.requestBody === null && log.nextAttemptAt && (
                    <Typography textColor="neutral600">
                      {t('logs.window.open', { at: dateTime(log.nextAttemptAt) })}
                    </Typography>
                  )}
                  <CodeBlock label={t('logs.changes', { count: log.changes.length })}>
                    {changeLines(log.changes)}
                  </CodeBlock>
                </Flex>
              )}
              {log.rerender && log.event !== 'test' && (
                <Box padding={3} background="warning100" hasRadius>
                  <Typography textColor="warning700">
                    {t(
                      log.requestBody === null
                        ? 'logs.detail.rerender.notRendered'
                        : 'logs.detail.rerender.changed'
                    )}
                  </Typography>
                </Box>
              )}
              {log.error && (
                <Box padding={3} background="danger100" hasRadius>
                  <Typography textColor="danger700">{log.error}</Typography>
                </Box>
              )}
              <Flex direction="column" alignItems="stretch" gap={2}>
                <Typography variant="delta" tag="h3">
                  {t('logs.detail.request')}
                </Typography>
                <Typography fontWeight="semiBold" style={{ wordBreak: 'break-all' }}>
                  {log.requestMethod} {log.requestUrl ?? '—'}
                </Typography>
                <Typography variant="sigma" textColor="neutral600">
                  {t('common.headers')}
                </Typography>
                <CodeBlock label={t('logs.detail.requestHeaders')}>
                  {headerLines(log.requestHeaders) || t('common.empty')}
                </CodeBlock>
                <Typography variant="sigma" textColor="neutral600">
                  {t('common.body')}
                </Typography>
                <CodeBlock label={t('logs.detail.requestBody')}>
                  {pretty(log.requestBody) || t('common.empty')}
                </CodeBlock>
              </Flex>
              <Flex direction="column" alignItems="stretch" gap={2}>
                <Typography variant="delta" tag="h3">
                  {t('logs.detail.response')}
                </Typography>
                <Typography fontWeight="semiBold">
                  {log.responseStatus !== null
                    ? t('preview.httpStatus', { status: log.responseStatus })
                    : t('preview.noResponse')}
                </Typography>
                <Typography variant="sigma" textColor="neutral600">
                  {t('common.headers')}
                </Typography>
                <CodeBlock label={t('logs.detail.responseHeaders')}>
                  {headerLines(log.responseHeaders) || t('common.empty')}
                </CodeBlock>
                <Typography variant="sigma" textColor="neutral600">
                  {t('common.body')}
                </Typography>
                <CodeBlock label={t('logs.detail.responseBody')}>
                  {pretty(log.responseBody) || t('common.empty')}
                </CodeBlock>
              </Flex>
              <Flex direction="column" alignItems="stretch" gap={2}>
                <Typography variant="delta" tag="h3">
                  {t('logs.detail.attempts')}
                </Typography>
                {log.attemptLog.length === 0 ? (
                  <Typography textColor="neutral600">{t('logs.detail.noAttempts')}</Typography>
                ) : (
                  <Table colCount={5} rowCount={log.attemptLog.length + 1}>
                    <Thead>
                      <Tr>
                        <Th>
                          <Typography variant="sigma">{t('logs.th.time')}</Typography>
                        </Th>
                        <Th>
                          <Typography variant="sigma">{t('logs.detail.sentTo')}</Typography>
                        </Th>
                        <Th>
                          <Typography variant="sigma">{t('logs.th.httpStatus')}</Typography>
                        </Th>
                        <Th>
                          <Typography variant="sigma">{t('logs.th.duration')}</Typography>
                        </Th>
                        <Th>
                          <Typography variant="sigma">{t('logs.detail.error')}</Typography>
                        </Th>
                      </Tr>
                    </Thead>
                    <Tbody>
                      {log.attemptLog.map((a, i) => (
                        <Tr key={i}>
                          <Td>
                            <Typography>{dateTime(a.at)}</Typography>
                          </Td>
                          <Td>
                            <Typography style={{ wordBreak: 'break-all' }}>
                              {a.url ? `${a.method ?? ''} ${a.url}` : '—'}
                            </Typography>
                          </Td>
                          <Td>
                            <Typography>{a.status ?? '—'}</Typography>
                          </Td>
                          <Td>
                            <Typography>
                              {a.durationMs !== null ? t('common.ms', { ms: a.durationMs }) : '—'}
                            </Typography>
                          </Td>
                          <Td>
                            <Typography textColor={a.error ? 'danger600' : 'neutral800'}>
                              {a.error ?? '—'}
                            </Typography>
                          </Td>
                        </Tr>
                      ))}
                    </Tbody>
                  </Table>
                )}
              </Flex>
            </Flex>
          )}
        </Modal.Body>
        <Modal.Footer>
          <Modal.Close>
            <Button variant="tertiary">{t('common.close')}</Button>
          </Modal.Close>
          {canRetry && log && canRetryLog(log) && (
            <Button startIcon={<ArrowClockwise />} onClick={retry} loading={retrying}>
              {t(retryLabel(log))}
            </Button>
          )}
        </Modal.Footer>
      </Modal.Content>
    </Modal.Root>
  );
};
