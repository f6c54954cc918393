import * as React from 'react';
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  Field,
  Flex,
  Grid,
  IconButton,
  NumberInput,
  Popover,
  SingleSelect,
  SingleSelectOption,
  Switch,
  Tabs,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { Check, Plus, Question, Trash } from '@strapi/icons';
import { BackButton, ConfirmDialog, Layouts, Page, useFetchClient, useNotification, useRBAC } from '@strapi/strapi/admin';
import { useBlocker, useLocation, useNavigate, useParams } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import {
  API,
  BODY_TYPES,
  EVENTS,
  FRAPPE_EVENTS,
  METHODS,
  errorMessage,
  fieldErrors,
  generateSecret,
  type ContentType,
  type FormField,
  type Webhook,
} from '../utils/api';
import { useT } from '../utils/useT';
import { CodeEditor, lineFromError } from '../components/CodeEditor';
import { CodeBlock } from '../components/CodeBlock';
import { PreviewPanel } from '../components/PreviewPanel';
import { SecretSection, type SecretChange } from '../components/SecretSection';
import { LogTable } from '../components/LogTable';
import { ManagedBadge } from '../components/ManagedBadge';

/** A header row in the form; `stored` secret rows keep their value while `value` is null. */
interface HeaderRow {
  name: string;
  value: string | null;
  secret: boolean;
  stored: boolean;
}

interface Values {
  name: string;
  enabled: boolean;
  contentType: string;
  events: string[];
  condition: string;
  url: string;
  dynamicUrl: boolean;
  method: string;
  timeoutMs: number;
  maxAttempts: number;
  bodyType: 'default' | 'json' | 'form';
  jsonTemplate: string;
  formFields: FormField[];
  headers: HeaderRow[];
}

const EMPTY: Values = {
  name: '',
  enabled: true,
  contentType: '',
  events: [],
  condition: '',
  url: '',
  dynamicUrl: false,
  method: 'POST',
  timeoutMs: 5000,
  maxAttempts: 8,
  bodyType: 'default',
  jsonTemplate: '',
  formFields: [],
  headers: [],
};

const fromWebhook = (w: Webhook): Values => ({
  name: w.name,
  enabled: w.enabled,
  contentType: w.contentType,
  events: [...w.events],
  condition: w.condition ?? '',
  url: w.url,
  dynamicUrl: w.dynamicUrl,
  method: w.method,
  timeoutMs: w.timeoutMs,
  maxAttempts: w.maxAttempts,
  bodyType: w.bodyType,
  jsonTemplate: w.jsonTemplate ?? '',
  formFields: w.formFields.map((f) => ({ ...f })),
  headers: w.headers.map((h) => ({ name: h.name, value: h.value, secret: h.secret, stored: h.secret })),
});

/** The JSON the admin API accepts (docs/api.md, "Webhook"). Secret header values left empty are kept (null). */
const toPayload = (v: Values, secret: SecretChange) => ({
  name: v.name,
  enabled: v.enabled,
  contentType: v.contentType,
  events: v.events,
  condition: v.condition.trim() === '' ? null : v.condition,
  url: v.url,
  dynamicUrl: v.dynamicUrl,
  method: v.method,
  timeoutMs: v.timeoutMs,
  maxAttempts: v.maxAttempts,
  bodyType: v.bodyType,
  jsonTemplate: v.jsonTemplate.trim() === '' ? null : v.jsonTemplate,
  formFields: v.formFields,
  headers: v.headers.map((h) => ({
    name: h.name,
    value: h.secret && h.stored && (h.value === null || h.value === '') ? null : h.value ?? '',
    secret: h.secret,
  })),
  ...(secret?.kind === 'set' || secret?.kind === 'generated' ? { secret: secret.value } : {}),
  ...(secret?.kind === 'remove' ? { secret: null } : {}),
});

const EXAMPLE_TEMPLATE = `{
  "id": {{ doc.documentId | dump }},
  "event": {{ event | dump }},
  "changedAt": {{ now | dump }}
}`;

const Section = ({ title, subtitle, children }: { title: string; subtitle?: string; children: React.ReactNode }) => (
  <Box background="neutral0" hasRadius shadow="filterShadow" paddingTop={6} paddingBottom={6} paddingLeft={7} paddingRight={7} tag="section" aria-label={title}>
    <Flex direction="column" alignItems="stretch" gap={4}>
      <Flex direction="column" alignItems="stretch" gap={1}>
        <Typography variant="delta" tag="h2">{title}</Typography>
        {subtitle && <Typography variant="pi" textColor="neutral600">{subtitle}</Typography>}
      </Flex>
      {children}
    </Flex>
  </Box>
);

const ConditionHelp = ({ contentType }: { contentType?: ContentType }) => {
  const { t } = useT();
  const examples = [
    ['doc.state == "Ordered"', 'condition.help.ex1'],
    ['doc.state == "Ordered" && previous.state != "Ordered"', 'condition.help.ex2'],
    ['doc.grandTotal > 10000', 'condition.help.ex3'],
    ['previous == null || doc.customer != previous.customer', 'condition.help.ex4'],
    ['event == "entry.publish" && locale == "fr"', 'condition.help.ex5'],
  ];
  return (
    <Popover.Root>
      <Popover.Trigger>
        <IconButton label={t('condition.help.button')} variant="ghost" size="S" type="button">
          <Question />
        </IconButton>
      </Popover.Trigger>
      <Popover.Content side="bottom" align="start" style={{ maxWidth: 520 }}>
        <Box padding={4}>
          <Flex direction="column" alignItems="stretch" gap={2}>
            <Typography variant="delta">{t('condition.help.title')}</Typography>
            <Typography variant="pi">{t('condition.help.intro')}</Typography>
            {examples.map(([code, key]) => (
              <Box key={key}>
                <Typography tag="code" variant="pi" fontWeight="semiBold" style={{ fontFamily: 'ui-monospace, monospace' }}>{code}</Typography>
                <Typography variant="pi" textColor="neutral600" tag="div">{t(key)}</Typography>
              </Box>
            ))}
            <Typography variant="pi" textColor="neutral600">{t('condition.help.variables')}</Typography>
            {contentType && (
              <Typography variant="pi" textColor="neutral600">
                {t('condition.help.fields', { name: contentType.displayName, fields: ['documentId', ...contentType.attributes.map((a) => a.name)].join(', ') })}
              </Typography>
            )}
          </Flex>
        </Box>
      </Popover.Content>
    </Popover.Root>
  );
};

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
  const [values, setValues] = React.useState<Values>(EMPTY);
  const [initial, setInitial] = React.useState<Values>(EMPTY);
  const [secret, setSecret] = React.useState<SecretChange>(null);
  const [revealed, setRevealed] = React.useState<string | null>((location.state as any)?.revealedSecret ?? null);
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [otherErrors, setOtherErrors] = React.useState<string[]>([]);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [tab, setTab] = React.useState('configuration');
  const skipGuard = React.useRef(false);

  React.useEffect(() => {
    let live = true;
    // The create route and the edit route share this component: after "create → /:id" the
    // same instance may stay mounted, so the leave guard is re-armed here.
    skipGuard.current = false;
    (async () => {
      try {
        const [c, w] = await Promise.all([
          get<{ data: ContentType[] }>(`${API}/content-types`),
          webhookId ? get<{ data: Webhook }>(`${API}/webhooks/${webhookId}`) : Promise.resolve(null),
        ]);
        if (!live) return;
        setContentTypes(c.data.data);
        if (w) {
          setWebhook(w.data.data);
          setValues(fromWebhook(w.data.data));
          setInitial(fromWebhook(w.data.data));
        } else {
          setWebhook(null);
          setValues(EMPTY);
          setInitial(EMPTY);
        }
        setSecret(null);
        setErrors({});
      } catch (err) {
        if (live) setLoadError(errorMessage(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [get, webhookId]);

  const dirty = JSON.stringify(values) !== JSON.stringify(initial) || secret !== null;
  const dirtyRef = React.useRef(dirty);
  dirtyRef.current = dirty;

  // Unsaved changes: ask before leaving the page (in-app navigation and tab close).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => !skipGuard.current && dirtyRef.current && currentLocation.pathname !== nextLocation.pathname);
  React.useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!dirtyRef.current) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => {
      const next = { ...e };
      Object.keys(next).forEach((k) => (k === key || k.startsWith(`${String(key)}.`)) && delete next[k]);
      return next;
    });
  };

  const contentType = contentTypes?.find((c) => c.uid === values.contentType);
  const fieldChoices = ['documentId', 'id', ...(contentType?.attributes.map((a) => a.name) ?? [])].filter((v, i, a) => a.indexOf(v) === i);

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
      toggleNotification({ type: 'success', message: t(webhookId ? 'form.notification.saved' : 'form.notification.created') });
      if (!webhookId) {
        skipGuard.current = true;
        navigate(`../${saved.id}`, { replace: true, state: { revealedSecret: revealed } });
        return;
      }
      setWebhook(saved);
      setValues(fromWebhook(saved));
      setInitial(fromWebhook(saved));
      setSecret(null);
    } catch (err) {
      const list = fieldErrors(err);
      if (list) {
        const map: Record<string, string> = {};
        const other: string[] = [];
        list.forEach((e) => {
          const key = e.path.join('.');
          if (!key) other.push(e.message);
          else if (!map[key]) map[key] = e.message;
        });
        setErrors(map);
        setOtherErrors(other);
        toggleNotification({ type: 'danger', message: t('form.notification.invalid', { count: list.length }) });
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
      const res = await post<{ data: { secret: string } }>(`${API}/webhooks/${webhookId}/rotate-secret`);
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
  const err = (path: string) => errors[path];
  // Errors whose field is not shown on the current tab/body type still need to be visible.
  const shownKeys = new Set(['name', 'enabled', 'contentType', 'events', 'condition', 'url', 'dynamicUrl', 'method', 'timeoutMs', 'maxAttempts', 'secret', 'bodyType', 'jsonTemplate', 'formFields']);
  const stray = Object.entries(errors).filter(([k]) => !shownKeys.has(k.split('.')[0]) || (k.startsWith('jsonTemplate') && values.bodyType !== 'json') || (k.startsWith('formFields') && values.bodyType !== 'form'));
  const templateError = err('jsonTemplate');
  const title = isNew ? t('form.createTitle') : webhook?.name ?? '';

  const configuration = (
    <Flex direction="column" alignItems="stretch" gap={6}>
      {(otherErrors.length > 0 || stray.length > 0) && (
        <Alert variant="danger" closeLabel={t('common.close')} title={t('form.errors.title')}>
          {[...otherErrors, ...stray.map(([k, m]) => `${k}: ${m}`)].join(' · ')}
        </Alert>
      )}
      {webhook?.managed && (
        <Alert variant="default" closeLabel={t('common.close')} title={t('managed.title')}>
          {t('managed.note')}
        </Alert>
      )}
      {webhook?.disabledReason && (
        <Alert variant="warning" closeLabel={t('common.close')} title={t(webhook.disabledReason === 'secret required' ? 'form.secretRequired' : 'form.disabledReason')}>
          {webhook.disabledReason}
        </Alert>
      )}

      <Section title={t('form.section.trigger')} subtitle={t('form.section.trigger.subtitle')}>
        <Grid.Root gap={4}>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <Field.Root name="name" id="name" error={err('name')} required>
              <Field.Label>{t('form.name')}</Field.Label>
              <TextInput value={values.name} disabled={readOnly} placeholder={t('form.name.placeholder')} onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('name', e.target.value)} />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <Field.Root name="contentType" id="contentType" error={err('contentType')} required hint={t('form.contentType.hint')}>
              <Field.Label>{t('form.contentType')}</Field.Label>
              <SingleSelect value={values.contentType} disabled={readOnly} placeholder={t('form.contentType.placeholder')} onChange={(v) => set('contentType', String(v))}>
                {contentTypes.map((c) => (
                  <SingleSelectOption key={c.uid} value={c.uid}>
                    {c.displayName}
                  </SingleSelectOption>
                ))}
              </SingleSelect>
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={12} direction="column" alignItems="stretch">
            <Field.Root name="events" id="events" error={err('events')} required>
              <Field.Label>{t('form.events')}</Field.Label>
              <Flex gap={3} wrap="wrap" role="group" aria-label={t('form.events')}>
                {EVENTS.map((ev) => (
                  <Box key={ev} padding={3} hasRadius borderColor={values.events.includes(ev) ? 'primary600' : 'neutral200'} background={values.events.includes(ev) ? 'primary100' : 'neutral0'} minWidth="200px">
                    <Checkbox
                      checked={values.events.includes(ev)}
                      disabled={readOnly}
                      onCheckedChange={(checked) => set('events', checked ? EVENTS.filter((e) => e === ev || values.events.includes(e)) : values.events.filter((e) => e !== ev))}
                    >
                      {t(`event.${ev}`)}
                    </Checkbox>
                    <Typography variant="pi" textColor="neutral600" tag="div" style={{ paddingLeft: 24 }}>
                      <code>{ev}</code>
                      {FRAPPE_EVENTS[ev] ? ` · ${t('form.events.frappe', { name: FRAPPE_EVENTS[ev] })}` : ''}
                    </Typography>
                  </Box>
                ))}
              </Flex>
              <Field.Error />
            </Field.Root>
          </Grid.Item>
        </Grid.Root>
      </Section>

      <Section title={t('form.section.condition')} subtitle={t('form.section.condition.subtitle')}>
        <Field.Root name="condition" id="condition" error={err('condition')} hint={t('form.condition.hint')}>
          <Field.Label action={<ConditionHelp contentType={contentType} />}>{t('form.condition')}</Field.Label>
          <CodeEditor id="condition" name="condition" rows={3} describedBy={err('condition') ? 'condition-error' : 'condition-hint'} value={values.condition} hasError={Boolean(err('condition'))} placeholder='doc.state == "Ordered" && previous.state != "Ordered"' disabled={readOnly} onChange={(v) => set('condition', v)} />
          <Field.Hint />
          <Field.Error />
        </Field.Root>
      </Section>

      <Section title={t('form.section.request')} subtitle={t('form.section.request.subtitle')}>
        <Grid.Root gap={4}>
          <Grid.Item col={9} s={12} direction="column" alignItems="stretch">
            <Field.Root name="url" id="url" error={err('url')} required hint={values.dynamicUrl ? t('form.url.dynamicHint') : t('form.url.hint')}>
              <Field.Label>{t('form.url')}</Field.Label>
              <TextInput value={values.url} disabled={readOnly} placeholder="https://erp.example.com/api/method/webhook" onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('url', e.target.value)} />
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
            <Field.Root name="method" id="method" error={err('method')}>
              <Field.Label>{t('form.method')}</Field.Label>
              <SingleSelect value={values.method} disabled={readOnly} onChange={(v) => set('method', String(v))}>
                {METHODS.map((m) => (
                  <SingleSelectOption key={m} value={m}>{m}</SingleSelectOption>
                ))}
              </SingleSelect>
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            <Field.Root name="dynamicUrl" id="dynamicUrl" error={err('dynamicUrl')} hint={t('form.dynamicUrl.hint')}>
              <Field.Label>{t('form.dynamicUrl')}</Field.Label>
              <Switch aria-label={t('form.dynamicUrl')} checked={values.dynamicUrl} disabled={readOnly} onCheckedChange={(c) => set('dynamicUrl', c)} onLabel={t('common.on')} offLabel={t('common.off')} visibleLabels />
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            <Field.Root name="timeoutMs" id="timeoutMs" error={err('timeoutMs')} hint={t('form.timeout.hint')}>
              <Field.Label>{t('form.timeout')}</Field.Label>
              <NumberInput value={values.timeoutMs} disabled={readOnly} onValueChange={(v) => set('timeoutMs', v ?? 0)} />
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            <Field.Root name="maxAttempts" id="maxAttempts" error={err('maxAttempts')} hint={t('form.maxAttempts.hint')}>
              <Field.Label>{t('form.maxAttempts')}</Field.Label>
              <NumberInput value={values.maxAttempts} disabled={readOnly} onValueChange={(v) => set('maxAttempts', v ?? 0)} />
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
        </Grid.Root>
      </Section>

      <Section title={t('form.section.secret')} subtitle={t('form.section.secret.subtitle')}>
        <SecretSection
          isNew={isNew}
          hasSecret={Boolean(webhook?.hasSecret)}
          rotating={Boolean(webhook?.secretRotating)}
          change={secret}
          onChange={(c) => {
            setSecret(c);
            setErrors((e) => {
              const { secret: _drop, ...rest } = e;
              return rest;
            });
          }}
          onRotate={rotate}
          revealed={revealed}
          onReveal={setRevealed}
          generate={generateSecret}
          error={err('secret')}
          disabled={readOnly}
        />
      </Section>

      <Section title={t('form.section.headers')} subtitle={t('form.section.headers.subtitle')}>
        <Flex direction="column" alignItems="stretch" gap={3}>
          {values.headers.length === 0 && <Typography textColor="neutral600">{t('form.headers.none')}</Typography>}
          {values.headers.map((h, i) => (
            <Grid.Root key={i} gap={3} aria-label={t('form.headers.row', { index: i + 1 })} role="group">
              <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                <Field.Root name={`headers.${i}.name`} id={`headers.${i}.name`} error={err(`headers.${i}.name`)}>
                  <Field.Label>{t('form.headers.name', { index: i + 1 })}</Field.Label>
                  <TextInput value={h.name} disabled={readOnly} placeholder="Authorization" onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('headers', values.headers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                <Field.Root name={`headers.${i}.value`} id={`headers.${i}.value`} error={err(`headers.${i}.value`)} hint={h.secret && h.stored ? t('form.headers.keep') : undefined}>
                  <Field.Label>{t('form.headers.value', { index: i + 1 })}</Field.Label>
                  <TextInput
                    type={h.secret ? 'password' : 'text'}
                    autoComplete="off"
                    value={h.value ?? ''}
                    disabled={readOnly}
                    placeholder={h.secret && h.stored ? '••••••••' : ''}
                    onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('headers', values.headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={2} s={6} direction="column" alignItems="flex-start" paddingTop={6}>
                <Checkbox
                  checked={h.secret}
                  disabled={readOnly}
                  onCheckedChange={(c) =>
                    set(
                      'headers',
                      values.headers.map((x, j) => (j === i ? { ...x, secret: Boolean(c), stored: Boolean(c) && x.stored, value: !c && x.value === null ? '' : x.value } : x))
                    )
                  }
                >
                  {t('form.headers.secret', { index: i + 1 })}
                </Checkbox>
              </Grid.Item>
              <Grid.Item col={1} s={6} paddingTop={6}>
                <IconButton label={t('form.headers.remove', { index: i + 1 })} variant="ghost" disabled={readOnly} onClick={() => set('headers', values.headers.filter((_, j) => j !== i))}>
                  <Trash />
                </IconButton>
              </Grid.Item>
            </Grid.Root>
          ))}
          <Box>
            <Button variant="secondary" startIcon={<Plus />} disabled={readOnly} onClick={() => set('headers', [...values.headers, { name: '', value: '', secret: false, stored: false }])}>
              {t('form.headers.add')}
            </Button>
          </Box>
          <Box paddingTop={2}>
            <Field.Root name="enabled" id="enabled" hint={t('form.enabled.hint')}>
              <Field.Label>{t('form.enabled')}</Field.Label>
              <Switch aria-label={t('form.enabled')} checked={values.enabled} disabled={readOnly} onCheckedChange={(c) => set('enabled', c)} onLabel={t('common.enabled')} offLabel={t('common.disabled')} visibleLabels />
              <Field.Hint />
            </Field.Root>
          </Box>
        </Flex>
      </Section>

      <Section title={t('form.section.data')} subtitle={t('form.section.data.subtitle')}>
        <Tabs.Root value={values.bodyType} onValueChange={(v) => set('bodyType', v as Values['bodyType'])} variant="simple" hasError={err('jsonTemplate') || err('formFields') ? 'true' : undefined}>
          <Tabs.List aria-label={t('form.bodyType')}>
            {BODY_TYPES.map((b) => (
              <Tabs.Trigger key={b} value={b} disabled={readOnly}>
                {t(`form.bodyType.${b}`)}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
          <Box paddingTop={4}>
            <Tabs.Content value="default">
              <Typography textColor="neutral700">{t('form.bodyType.default.help')}</Typography>
              <Box paddingTop={3}>
                <CodeBlock>{`{\n  "event": "entry.update",\n  "createdAt": "2026-01-31T12:00:00.000Z",\n  "model": "…",\n  "uid": "${values.contentType || 'api::…'}",\n  "documentId": "…",\n  "locale": null,\n  "entry": { … },\n  "previous": { … }\n}`}</CodeBlock>
              </Box>
            </Tabs.Content>
            <Tabs.Content value="json">
              <Field.Root name="jsonTemplate" id="jsonTemplate" error={templateError} hint={t('form.jsonTemplate.hint')}>
                <Field.Label action={<Button variant="ghost" size="S" type="button" disabled={readOnly} onClick={() => set('jsonTemplate', EXAMPLE_TEMPLATE)}>{t('form.jsonTemplate.example')}</Button>}>
                  {t('form.jsonTemplate')}
                </Field.Label>
                <CodeEditor id="jsonTemplate" name="jsonTemplate" rows={12} describedBy={templateError ? 'jsonTemplate-error' : 'jsonTemplate-hint'} value={values.jsonTemplate} hasError={Boolean(templateError)} errorLine={lineFromError(templateError)} disabled={readOnly} onChange={(v) => set('jsonTemplate', v)} />
                <Field.Hint />
                <Field.Error />
              </Field.Root>
            </Tabs.Content>
            <Tabs.Content value="form">
              <Flex direction="column" alignItems="stretch" gap={3}>
                <Typography textColor="neutral700">{t('form.formFields.help')}</Typography>
                {err('formFields') && <Typography textColor="danger600">{err('formFields')}</Typography>}
                {values.formFields.map((f, i) => (
                  <Grid.Root key={i} gap={3}>
                    <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                      <Field.Root name={`formFields.${i}.field`} id={`formFields.${i}.field`} error={err(`formFields.${i}.field`)}>
                        <Field.Label>{t('form.formFields.field', { index: i + 1 })}</Field.Label>
                        <SingleSelect value={f.field} disabled={readOnly || !contentType} placeholder={t('form.formFields.pick')} onChange={(v) => set('formFields', values.formFields.map((x, j) => (j === i ? { field: String(v), key: x.key || String(v) } : x)))}>
                          {fieldChoices.map((name) => (
                            <SingleSelectOption key={name} value={name}>{name}</SingleSelectOption>
                          ))}
                        </SingleSelect>
                        <Field.Error />
                      </Field.Root>
                    </Grid.Item>
                    <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                      <Field.Root name={`formFields.${i}.key`} id={`formFields.${i}.key`} error={err(`formFields.${i}.key`)}>
                        <Field.Label>{t('form.formFields.key', { index: i + 1 })}</Field.Label>
                        <TextInput value={f.key} disabled={readOnly} onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('formFields', values.formFields.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} />
                        <Field.Error />
                      </Field.Root>
                    </Grid.Item>
                    <Grid.Item col={2} s={12} paddingTop={6}>
                      <IconButton label={t('form.formFields.remove', { index: i + 1 })} variant="ghost" disabled={readOnly} onClick={() => set('formFields', values.formFields.filter((_, j) => j !== i))}>
                        <Trash />
                      </IconButton>
                    </Grid.Item>
                  </Grid.Root>
                ))}
                <Box>
                  <Button variant="secondary" startIcon={<Plus />} disabled={readOnly || !contentType} onClick={() => set('formFields', [...values.formFields, { field: '', key: '' }])}>
                    {t('form.formFields.add')}
                  </Button>
                </Box>
              </Flex>
            </Tabs.Content>
          </Box>
        </Tabs.Root>
      </Section>

      <Section title={t('form.section.preview')} subtitle={t('form.section.preview.subtitle')}>
        {webhookId ? (
          <PreviewPanel webhookId={webhookId} contentType={contentTypes.find((c) => c.uid === webhook?.contentType)} dirty={dirty} canTest={Boolean(canTest)} />
        ) : (
          <Typography textColor="neutral600">{t('preview.saveFirst')}</Typography>
        )}
      </Section>
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
              {logRights.canRead && <Tabs.Trigger value="deliveries">{t('form.tab.deliveries')}</Tabs.Trigger>}
            </Tabs.List>
            <Box paddingTop={6}>
              <Tabs.Content value="configuration">{configuration}</Tabs.Content>
              {logRights.canRead && webhookId && (
                <Tabs.Content value="deliveries">
                  <Box background="neutral0" hasRadius shadow="filterShadow" padding={6}>
                    <LogTable webhookId={webhookId} canRetry={Boolean(logRights.canRetry)} />
                  </Box>
                </Tabs.Content>
              )}
            </Box>
          </Tabs.Root>
        )}
      </Layouts.Content>
      <Dialog.Root open={blocker.state === 'blocked'} onOpenChange={(open) => !open && blocker.state === 'blocked' && blocker.reset()}>
        <ConfirmDialog variant="danger" title={t('form.leave.title')} onConfirm={() => { if (blocker.state === 'blocked') blocker.proceed(); }} onCancel={() => { if (blocker.state === 'blocked') blocker.reset(); }}>
          {t('form.leave.body')}
        </ConfirmDialog>
      </Dialog.Root>
    </Page.Main>
  );
};
