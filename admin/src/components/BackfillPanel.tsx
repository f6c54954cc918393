import * as React from 'react';
import {
  Button,
  Dialog,
  Field,
  Flex,
  ProgressBar,
  SingleSelect,
  SingleSelectOption,
  Typography,
} from '@strapi/design-system';
import { Cross, PaperPlane } from '@strapi/icons';
import { ConfirmDialog, useFetchClient, useNotification } from '@strapi/strapi/admin';
import { API, errorMessage, type BackfillInfo, type ContentType } from '../utils/api';
import { useT } from '../utils/useT';

interface BackfillPanelProps {
  webhookId: number;
  contentType: ContentType | undefined;
  /** The webhook is enabled (a disabled one sends nothing). */
  enabled: boolean;
  /** RBAC: update and test (docs/api.md, `POST /webhooks/:id/backfill`). */
  canSend: boolean;
  /** Unsaved changes: the backfill uses the saved webhook. */
  dirty: boolean;
}

/**
 * "Send existing documents": the number of documents a backfill would queue, a confirmation,
 * then its progress (polled while it runs) and Cancel.
 */
export const BackfillPanel = ({
  webhookId,
  contentType,
  enabled,
  canSend,
  dirty,
}: BackfillPanelProps) => {
  const { t, formatNumber } = useT();
  const { get, post, del } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [status, setStatus] = React.useState<'published' | 'draft'>('published');
  const [info, setInfo] = React.useState<BackfillInfo | null>(null);
  const [confirm, setConfirm] = React.useState(false);
  const withStatus = Boolean(contentType?.draftAndPublish);

  const load = React.useCallback(async () => {
    try {
      const res = await get<{ data: BackfillInfo }>(`${API}/webhooks/${webhookId}/backfill`, {
        params: withStatus ? { status } : {},
      });
      setInfo(res.data.data);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    }
  }, [get, webhookId, status, withStatus, toggleNotification]);

  React.useEffect(() => {
    load();
  }, [load]);

  const running = info?.job?.state === 'running';
  React.useEffect(() => {
    if (!running) return;
    const timer = setTimeout(load, 2000);
    return () => clearTimeout(timer);
  }, [running, info, load]);

  const start = async () => {
    try {
      const res = await post<{ data: { queued: number } }>(
        `${API}/webhooks/${webhookId}/backfill`,
        withStatus ? { status } : {}
      );
      toggleNotification({
        type: 'success',
        message: t('backfill.started', { count: res.data.data.queued }),
      });
      setConfirm(false);
      await load();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    }
  };

  const cancel = async () => {
    try {
      await del(`${API}/webhooks/${webhookId}/backfill`);
      await load();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    }
  };

  const job = info?.job;
  const percent =
    job && job.total > 0
      ? Math.round((100 * job.queued) / job.total)
      : job?.state === 'done'
        ? 100
        : 0;
  return (
    <Flex direction="column" alignItems="stretch" gap={4}>
      <Typography textColor="neutral600">{t('backfill.hint')}</Typography>
      <Flex gap={4} alignItems="flex-end" wrap="wrap">
        {withStatus && (
          <Field.Root name="backfillStatus" width="240px">
            <Field.Label>{t('backfill.status')}</Field.Label>
            <SingleSelect
              value={status}
              onChange={(v: string | number) => setStatus(v === 'draft' ? 'draft' : 'published')}
              disabled={running}
            >
              <SingleSelectOption value="published">
                {t('backfill.status.published')}
              </SingleSelectOption>
              <SingleSelectOption value="draft">{t('backfill.status.draft')}</SingleSelectOption>
            </SingleSelect>
          </Field.Root>
        )}
        <Button
          variant="secondary"
          startIcon={<PaperPlane />}
          onClick={() => setConfirm(true)}
          disabled={!canSend || !enabled || dirty || running || !info}
        >
          {t('backfill.send')}
        </Button>
        {running && canSend && (
          <Button variant="danger-light" startIcon={<Cross />} onClick={cancel}>
            {t('backfill.cancel')}
          </Button>
        )}
      </Flex>
      {!enabled && <Typography textColor="neutral600">{t('backfill.disabled')}</Typography>}
      {dirty && <Typography textColor="neutral600">{t('backfill.saveFirst')}</Typography>}
      {job && (
        <Flex direction="column" alignItems="stretch" gap={2} aria-live="polite">
          <Typography>
            {t(`backfill.state.${job.state}`, {
              queued: formatNumber(job.queued),
              total: formatNumber(job.total),
            })}
          </Typography>
          <ProgressBar value={percent} size="M" aria-label={`${percent}%`} />
          {job.error && <Typography textColor="danger600">{job.error}</Typography>}
        </Flex>
      )}
      <Dialog.Root open={confirm} onOpenChange={setConfirm}>
        <ConfirmDialog onConfirm={start} variant="default" title={t('backfill.confirm.title')}>
          {t('backfill.confirm.body', {
            count: info?.documents ?? 0,
            status: t(`backfill.status.${withStatus ? status : 'draft'}`),
          })}
        </ConfirmDialog>
      </Dialog.Root>
    </Flex>
  );
};
