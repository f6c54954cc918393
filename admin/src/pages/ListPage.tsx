import * as React from 'react';
import {
  Badge,
  Box,
  Dialog,
  EmptyStateLayout,
  Flex,
  IconButton,
  LinkButton,
  Searchbar,
  Switch,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
  VisuallyHidden,
} from '@strapi/design-system';
import { Pencil, Plus, Trash } from '@strapi/icons';
import { EmptyDocuments } from '@strapi/icons/symbols';
import {
  ConfirmDialog,
  Layouts,
  Page,
  useFetchClient,
  useNotification,
  useRBAC,
} from '@strapi/strapi/admin';
import { NavLink, useNavigate } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import { API, errorMessage, type ContentType, type Webhook, type WebhookStats } from '../utils/api';
import { useT } from '../utils/useT';
import { StatusBadge } from '../components/StatusBadge';
import { ManagedBadge } from '../components/ManagedBadge';
import { TransferButtons } from '../components/TransferButtons';
import { Sparkline } from '../components/Sparkline';

export const ListPage = () => {
  const { t, dateTime, formatNumber } = useT();
  const { get, put, del } = useFetchClient();
  const { toggleNotification } = useNotification();
  const navigate = useNavigate();
  const {
    isLoading: rbacLoading,
    allowedActions: { canCreate, canUpdate, canDelete },
  } = useRBAC(PERMISSIONS.webhooks);

  const [webhooks, setWebhooks] = React.useState<Webhook[] | null>(null);
  const [contentTypes, setContentTypes] = React.useState<ContentType[]>([]);
  const [stats, setStats] = React.useState<Record<string, WebhookStats>>({});
  const [error, setError] = React.useState<string | null>(null);
  const [search, setSearch] = React.useState('');
  const [toDelete, setToDelete] = React.useState<Webhook | null>(null);

  const load = React.useCallback(async () => {
    try {
      const [w, c, s] = await Promise.all([
        get<{ data: Webhook[] }>(`${API}/webhooks`),
        get<{ data: ContentType[] }>(`${API}/content-types`),
        get<{ data: Record<string, WebhookStats> }>(`${API}/stats`),
      ]);
      setWebhooks(w.data.data);
      setContentTypes(c.data.data);
      setStats(s.data.data ?? {});
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [get]);

  React.useEffect(() => {
    load();
  }, [load]);

  const ctName = (uid: string) => contentTypes.find((c) => c.uid === uid)?.displayName ?? uid;

  const toggle = async (webhook: Webhook, enabled: boolean) => {
    // PUT is a partial update: only the flag is sent.
    setWebhooks((list) => list?.map((w) => (w.id === webhook.id ? { ...w, enabled } : w)) ?? null);
    try {
      const res = await put<{ data: Webhook }>(`${API}/webhooks/${webhook.id}`, { enabled });
      setWebhooks((list) => list?.map((w) => (w.id === webhook.id ? res.data.data : w)) ?? null);
      toggleNotification({
        type: 'success',
        message: t(enabled ? 'list.notification.enabled' : 'list.notification.disabled', {
          name: webhook.name,
        }),
      });
    } catch (err) {
      setWebhooks((list) => list?.map((w) => (w.id === webhook.id ? webhook : w)) ?? null);
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    }
  };

  const remove = async () => {
    if (!toDelete) return;
    try {
      await del(`${API}/webhooks/${toDelete.id}`);
      setWebhooks((list) => list?.filter((w) => w.id !== toDelete.id) ?? null);
      toggleNotification({
        type: 'success',
        message: t('list.notification.deleted', { name: toDelete.name }),
      });
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setToDelete(null);
    }
  };

  if (error) return <Page.Error />;
  if (rbacLoading || !webhooks) return <Page.Loading />;

  const q = search.trim().toLowerCase();
  const shown = q
    ? webhooks.filter((w) =>
        [w.name, w.url, ctName(w.contentType), w.contentType, ...w.events].some((s) =>
          s.toLowerCase().includes(q)
        )
      )
    : webhooks;

  const createButton = (variant: 'default' | 'secondary') => (
    <LinkButton tag={NavLink} to="create" startIcon={<Plus />} variant={variant} size="S">
      {t('list.create')}
    </LinkButton>
  );

  return (
    <Page.Main>
      <Page.Title>{t('list.pageTitle')}</Page.Title>
      <Layouts.Header
        title={t('list.title')}
        subtitle={t('list.subtitle')}
        primaryAction={
          <Flex gap={2}>
            <TransferButtons
              webhooks={webhooks}
              canImport={Boolean(canCreate && canUpdate)}
              onImported={load}
            />
            {canCreate && createButton('default')}
          </Flex>
        }
      />
      {webhooks.length > 0 && (
        <Layouts.Action
          startActions={
            <Box width="320px">
              <Searchbar
                name="search"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                onClear={() => setSearch('')}
                clearLabel={t('list.search.clear')}
                placeholder={t('list.search.placeholder')}
              >
                {t('list.search.label')}
              </Searchbar>
            </Box>
          }
        />
      )}
      <Layouts.Content>
        {shown.length === 0 ? (
          <EmptyStateLayout
            icon={<EmptyDocuments width="160px" />}
            content={webhooks.length === 0 ? t('list.empty') : t('list.noMatch', { search })}
            action={webhooks.length === 0 && canCreate ? createButton('secondary') : undefined}
          />
        ) : (
          <Table colCount={9} rowCount={shown.length + 1}>
            <Thead>
              <Tr>
                <Th>
                  <Typography variant="sigma">{t('list.th.name')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.contentType')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.events')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.url')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.enabled')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.lastDelivery')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('list.th.successRate')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma" title={t('list.queued.title')}>
                    {t('list.th.queued')}
                  </Typography>
                </Th>
                <Th>
                  <VisuallyHidden>{t('list.th.actions')}</VisuallyHidden>
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {shown.map((w) => {
                const s = stats[String(w.id)];
                return (
                  <Tr
                    key={w.id}
                    onClick={() => navigate(String(w.id))}
                    style={{ cursor: 'pointer' }}
                  >
                    <Td style={{ maxWidth: '180px' }}>
                      <Typography
                        fontWeight="semiBold"
                        textColor="neutral800"
                        ellipsis
                        title={w.name}
                        tag="div"
                      >
                        {w.name}
                      </Typography>
                      {w.managed && <ManagedBadge />}
                      {w.disabledReason && (
                        <Typography
                          variant="pi"
                          textColor="danger600"
                          ellipsis
                          tag="div"
                          title={w.disabledReason}
                        >
                          {w.disabledReason}
                        </Typography>
                      )}
                    </Td>
                    <Td>
                      <Typography textColor="neutral800">{ctName(w.contentType)}</Typography>
                    </Td>
                    <Td>
                      <Flex gap={1} wrap="wrap" maxWidth="180px">
                        {w.events.map((e) => (
                          <Badge key={e} size="S">
                            {t(`event.${e}`)}
                          </Badge>
                        ))}
                      </Flex>
                    </Td>
                    <Td style={{ maxWidth: '150px' }}>
                      <Typography textColor="neutral800" ellipsis title={w.url} tag="div">
                        <Typography textColor="neutral500">{w.method} </Typography>
                        {w.url}
                      </Typography>
                    </Td>
                    <Td onClick={(e: React.MouseEvent) => e.stopPropagation()}>
                      <Switch
                        aria-label={t('list.toggle', { name: w.name })}
                        checked={w.enabled}
                        disabled={!canUpdate || w.managed}
                        onCheckedChange={(checked) => toggle(w, checked)}
                        onLabel={t('common.enabled')}
                        offLabel={t('common.disabled')}
                      />
                    </Td>
                    <Td>
                      {s?.lastStatus ? (
                        <Flex direction="column" alignItems="flex-start" gap={1}>
                          <StatusBadge status={s.lastStatus} />
                          <Typography variant="pi" textColor="neutral600">
                            {dateTime(s.lastAt)}
                          </Typography>
                        </Flex>
                      ) : (
                        <Typography textColor="neutral500">{t('list.never')}</Typography>
                      )}
                    </Td>
                    <Td>
                      {/* In the success column: the table has no room for another one at 1440 px. */}
                      <Sparkline webhookId={w.id} />
                      <Typography textColor="neutral800" variant="pi">
                        {s && s.successRate24h !== null
                          ? t('list.successRate', {
                              rate: formatNumber(s.successRate24h, {
                                style: 'percent',
                                maximumFractionDigits: 1,
                              }),
                              delivered: s.delivered24h,
                              total: s.total24h,
                            })
                          : '—'}
                      </Typography>
                    </Td>
                    <Td>
                      <Typography
                        textColor={s?.queued ? 'warning600' : 'neutral800'}
                        title={t('list.queued.title')}
                      >
                        {s ? formatNumber(s.queued) : '—'}
                      </Typography>
                    </Td>
                    <Td onClick={(e: React.MouseEvent) => e.stopPropagation()}>
                      <Flex gap={1} justifyContent="flex-end">
                        <IconButton
                          tag={NavLink}
                          to={String(w.id)}
                          label={t('list.edit', { name: w.name })}
                          variant="ghost"
                        >
                          <Pencil />
                        </IconButton>
                        {canDelete && !w.managed && (
                          <IconButton
                            onClick={() => setToDelete(w)}
                            label={t('list.delete', { name: w.name })}
                            variant="ghost"
                          >
                            <Trash />
                          </IconButton>
                        )}
                      </Flex>
                    </Td>
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        )}
      </Layouts.Content>
      <Dialog.Root open={toDelete !== null} onOpenChange={(open) => !open && setToDelete(null)}>
        <ConfirmDialog onConfirm={remove} title={t('list.deleteDialog.title')}>
          {t('list.deleteDialog.body', { name: toDelete?.name ?? '' })}
        </ConfirmDialog>
      </Dialog.Root>
    </Page.Main>
  );
};
