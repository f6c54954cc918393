import * as React from 'react';
import { Alert, Box, Button, Flex, Tabs, Typography } from '@strapi/design-system';
import { Check } from '@strapi/icons';
import {
  BackButton,
  Layouts,
  Page,
  useFetchClient,
  useNotification,
  useRBAC,
} from '@strapi/strapi/admin';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import {
  API,
  errorMessage,
  fieldErrors,
  generateSecret,
  type ContentType,
  type Webhook,
} from '../utils/api';
import {
  clearFieldErrors,
  emptyValues,
  fromWebhook,
  isDirty,
  mapServerErrors,
  strayErrors,
  toPayload,
  type FieldErrors,
  type SecretChange,
  type Values,
} from '../utils/form';
import { useT } from '../utils/useT';
import { PreviewPanel } from '../components/PreviewPanel';
import { SecretSection } from '../components/SecretSection';
import { BackfillPanel } from '../components/BackfillPanel';
import { LogTable } from '../components/LogTable';
import { ManagedBadge } from '../components/ManagedBadge';
import { Section } from '../components/webhook-form/Section';
import { TriggerSection } from '../components/webhook-form/TriggerSection';
import { ConditionSection } from '../components/webhook-form/ConditionSection';
import { RequestSection } from '../components/webhook-form/RequestSection';
import { HeadersSection } from '../components/webhook-form/HeadersSection';
import { DataSection } from '../components/webhook-form/DataSection';
import { BurstsSection } from '../components/webhook-form/BurstsSection';
import { LeaveDialog, useLeaveGuard } from '../components/webhook-form/LeaveGuard';
import { DeliveryChart } from '../components/DeliveryChart';

/**
 * Create and edit a webhook. This page loads, saves and guards; the form's sections live in
 * components/webhook-form/, its state and API mapping in utils/form.ts (docs/architecture.md).
 */
export const EditPage = () => {
  const { id } = useParams<{ id: string }>();
  const isNew = !id || id === 'create';
  const webhookId = isNew ? null : Number(id);
  const { t } = useT();
  const { get, post, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const navigate = useNavigate();
  const location = useLocation();
  const {
    isLoading: rbacLoading,
    allowedActions: { canCreate, canUpdate, canTest },
  } = useRBAC(PERMISSIONS.webhooks);
  const { allowedActions: logRights } = useRBAC(PERMISSIONS.logs);

  const [contentTypes, setContentTypes] = React.useState<ContentType[] | null>(null);
  const [webhook, setWebhook] = React.useState<Webhook | null>(null);
  const [values, setValues] = React.useState<Values>(emptyValues);
  const [initial, setInitial] = React.useState<Values>(emptyValues);
  const [secret, setSecret] = React.useState<SecretChange>(null);
  const [revealed, setRevealed] = React.useState<string | null>(
    (location.state as { revealedSecret?: string } | null)?.revealedSecret ?? null
  );
  const [errors, setErrors] = React.useState<FieldErrors>({});
  const [otherErrors, setOtherErrors] = React.useState<string[]>([]);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [tab, setTab] = React.useState('configuration');

  /** Show a webhook as saved: values and the baseline that dirtiness is measured against. */
  const reset = React.useCallback((w: Webhook | null) => {
    const v = w ? fromWebhook(w) : emptyValues();
    setWebhook(w);
    setValues(v);
    setInitial(v);
    setSecret(null);
  }, []);

  React.useEffect(() => {
    let live = true;
    (async () => {
      try {
        const [c, w] = await Promise.all([
          get<{ data: ContentType[] }>(`${API}/content-types`),
          webhookId
            ? get<{ data: Webhook }>(`${API}/webhooks/${webhookId}`)
            : Promise.resolve(null),
        ]);
        if (!live) return;
        setContentTypes(c.data.data);
        reset(w ? w.data.data : null);
        setErrors({});
      } catch (err) {
        if (live) setLoadError(errorMessage(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [get, webhookId, reset]);

  const dirty = isDirty(values, initial, secret);
  const { blocker, allowLeave } = useLeaveGuard(dirty, webhookId);

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => clearFieldErrors(e, key));
  };

  const save = async () => {
    setSaving(true);
    setErrors({});
    setOtherErrors([]);
    try {
      const payload = toPayload(values, secret);
      const res = webhookId
        ? await put<{ data: Webhook }>(`${API}/webhooks/${webhookId}`, payload)
        : await post<{ data: Webhook }>(`${API}/webhooks`, payload);
      const saved = res.data.data;
      toggleNotification({
        type: 'success',
        message: t(webhookId ? 'form.notification.saved' : 'form.notification.created'),
      });
      if (!webhookId) {
        allowLeave();
        navigate(`../${saved.id}`, { replace: true, state: { revealedSecret: revealed } });
        return;
      }
      reset(saved);
    } catch (err) {
      const list = fieldErrors(err);
      if (list) {
        const mapped = mapServerErrors(list);
        setErrors(mapped.fields);
        setOtherErrors(mapped.other);
        toggleNotification({
          type: 'danger',
          message: t('form.notification.invalid', { count: list.length }),
        });
      } else {
        toggleNotification({ type: 'danger', message: errorMessage(err) });
      }
    } finally {
      setSaving(false);
    }
  };

  const rotate = async () => {
    if (!webhookId) return null;
    try {
      const res = await post<{ data: { secret: string } }>(
        `${API}/webhooks/${webhookId}/rotate-secret`
      );
      const w = await get<{ data: Webhook }>(`${API}/webhooks/${webhookId}`);
      setWebhook(w.data.data);
      toggleNotification({ type: 'success', message: t('secret.rotated') });
      return res.data.data.secret;
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
      return null;
    }
  };

  if (loadError) return <Page.Error />;
  if (rbacLoading || !contentTypes || (webhookId && !webhook)) return <Page.Loading />;

  // A webhook declared in the plugin config changes there only (the API answers 409).
  const readOnly = (isNew ? !canCreate : !canUpdate) || Boolean(webhook?.managed);
  const contentType = contentTypes.find((c) => c.uid === values.contentType);
  const sectionProps = { values, set, errors, readOnly };
  // Errors whose field is not shown on the current tab/body type still need to be visible.
  const alerts = [...otherErrors, ...strayErrors(errors, values.bodyType)];
  const title = isNew ? t('form.createTitle') : (webhook?.name ?? '');

  const configuration = (
    <Flex direction="column" alignItems="stretch" gap={6}>
      {alerts.length > 0 && (
        <Alert variant="danger" closeLabel={t('common.close')} title={t('form.errors.title')}>
          {alerts.join(' · ')}
        </Alert>
      )}
      {webhook?.managed && (
        <Alert variant="default" closeLabel={t('common.close')} title={t('managed.title')}>
          {t('managed.note')}
        </Alert>
      )}
      {webhook?.disabledReason && (
        <Alert
          variant="warning"
          closeLabel={t('common.close')}
          title={t(
            webhook.disabledReason === 'secret required'
              ? 'form.secretRequired'
              : 'form.disabledReason'
          )}
        >
          {webhook.disabledReason}
        </Alert>
      )}

      <TriggerSection {...sectionProps} contentTypes={contentTypes} />
      <ConditionSection {...sectionProps} contentType={contentType} />
      <RequestSection {...sectionProps} />

      <Section title={t('form.section.secret')} subtitle={t('form.section.secret.subtitle')}>
        <SecretSection
          isNew={isNew}
          hasSecret={Boolean(webhook?.hasSecret)}
          rotating={Boolean(webhook?.secretRotating)}
          change={secret}
          onChange={(c) => {
            setSecret(c);
            setErrors((e) => clearFieldErrors(e, 'secret'));
          }}
          onRotate={rotate}
          revealed={revealed}
          onReveal={setRevealed}
          generate={generateSecret}
          error={errors.secret}
          disabled={readOnly}
        />
      </Section>

      <HeadersSection {...sectionProps} />
      <DataSection {...sectionProps} contentType={contentType} />
      <BurstsSection {...sectionProps} />

      <Section title={t('form.section.preview')} subtitle={t('form.section.preview.subtitle')}>
        {webhookId ? (
          <PreviewPanel
            webhookId={webhookId}
            contentType={contentTypes.find((c) => c.uid === webhook?.contentType)}
            dirty={dirty}
            canTest={Boolean(canTest)}
          />
        ) : (
          <Typography textColor="neutral600">{t('preview.saveFirst')}</Typography>
        )}
      </Section>

      {webhookId && webhook && (
        <Section title={t('backfill.title')} subtitle={t('backfill.subtitle')}>
          <BackfillPanel
            webhookId={webhookId}
            contentType={contentTypes.find((c) => c.uid === webhook.contentType)}
            enabled={webhook.enabled}
            canSend={Boolean(canUpdate && canTest)}
            dirty={dirty}
          />
        </Section>
      )}
    </Flex>
  );

  return (
    <Page.Main>
      <Page.Title>{t('form.pageTitle', { name: title })}</Page.Title>
      <Layouts.Header
        navigationAction={<BackButton fallback=".." />}
        title={title}
        subtitle={isNew ? t('form.createSubtitle') : t('form.editSubtitle')}
        secondaryAction={webhook?.managed ? <ManagedBadge /> : undefined}
        primaryAction={
          !readOnly && (
            <Button startIcon={<Check />} onClick={save} loading={saving} disabled={!dirty}>
              {t('form.save')}
            </Button>
          )
        }
      />
      <Layouts.Content>
        {isNew ? (
          configuration
        ) : (
          <Tabs.Root value={tab} onValueChange={setTab}>
            <Tabs.List aria-label={t('form.tabs')}>
              <Tabs.Trigger value="configuration">{t('form.tab.configuration')}</Tabs.Trigger>
              {logRights.canRead && (
                <Tabs.Trigger value="deliveries">{t('form.tab.deliveries')}</Tabs.Trigger>
              )}
            </Tabs.List>
            <Box paddingTop={6}>
              <Tabs.Content value="configuration">{configuration}</Tabs.Content>
              {logRights.canRead && webhookId && (
                <Tabs.Content value="deliveries">
                  <Box
                    background="neutral0"
                    hasRadius
                    shadow="filterShadow"
                    padding={6}
                    marginBottom={6}
                  >
                    <DeliveryChart webhookId={webhookId} />
                  </Box>
                  <Box background="neutral0" hasRadius shadow="filterShadow" padding={6}>
                    <LogTable webhookId={webhookId} canRetry={Boolean(logRights.canRetry)} />
                  </Box>
                </Tabs.Content>
              )}
            </Box>
          </Tabs.Root>
        )}
      </Layouts.Content>
      <LeaveDialog blocker={blocker} />
    </Page.Main>
  );
};
