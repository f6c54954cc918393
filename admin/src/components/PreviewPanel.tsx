import * as React from 'react';
import {
  Alert,
  Badge,
  Box,
  Button,
  Combobox,
  ComboboxOption,
  Field,
  Flex,
  Grid,
  Typography,
} from '@strapi/design-system';
import { Eye, PaperPlane } from '@strapi/icons';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Link } from 'react-router-dom';
import {
  API,
  errorMessage,
  pretty,
  type ContentType,
  type PreviewResponse,
  type TestResponse,
} from '../utils/api';
import { useT } from '../utils/useT';
import { CodeBlock, headerLines } from './CodeBlock';

interface DocOption {
  documentId: string;
  label: string;
}

/**
 * Lists documents of the content type through the Content Manager admin API, searchable by
 * its `_q` parameter; labels use the content type's main field.
 */
function useDocuments(contentType: ContentType | undefined, search: string) {
  const { get } = useFetchClient();
  const [mainField, setMainField] = React.useState<string | null>(null);
  const [options, setOptions] = React.useState<DocOption[]>([]);
  const [loading, setLoading] = React.useState(false);
  const uid = contentType?.uid;
  const single = contentType?.kind === 'singleType';

  React.useEffect(() => {
    if (!uid) return;
    let live = true;
    get<any>(`/content-manager/content-types/${uid}/configuration`)
      .then(
        (res) =>
          live && setMainField(res.data?.data?.contentType?.settings?.mainField ?? 'documentId')
      )
      .catch(() => live && setMainField('documentId'));
    return () => {
      live = false;
    };
  }, [get, uid]);

  React.useEffect(() => {
    if (!uid || !mainField) return;
    let live = true;
    setLoading(true);
    const handle = setTimeout(async () => {
      try {
        const label = (d: any) => {
          const v = d?.[mainField];
          return v !== undefined && v !== null && v !== ''
            ? `${String(v)} (${d.documentId})`
            : String(d.documentId);
        };
        if (single) {
          const res = await get<any>(`/content-manager/single-types/${uid}`);
          const d = res.data?.data;
          if (live)
            setOptions(d?.documentId ? [{ documentId: d.documentId, label: label(d) }] : []);
        } else {
          const res = await get<any>(`/content-manager/collection-types/${uid}`, {
            params: { page: 1, pageSize: 10, ...(search ? { _q: search } : {}) },
          });
          if (live)
            setOptions(
              (res.data?.results ?? []).map((d: any) => ({
                documentId: d.documentId,
                label: label(d),
              }))
            );
        }
      } catch {
        if (live) setOptions([]);
      } finally {
        if (live) setLoading(false);
      }
    }, 250);
    return () => {
      live = false;
      clearTimeout(handle);
    };
  }, [get, uid, single, mainField, search]);

  return { options, loading };
}

interface PreviewPanelProps {
  webhookId: number;
  contentType: ContentType | undefined;
  dirty: boolean;
  canTest: boolean;
}

/** Pick a real document, see whether the condition matches and the exact request; send a test. */
export const PreviewPanel = ({ webhookId, contentType, dirty, canTest }: PreviewPanelProps) => {
  const { t } = useT();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [search, setSearch] = React.useState('');
  const [documentId, setDocumentId] = React.useState<string | undefined>();
  const { options, loading } = useDocuments(contentType, search);
  const [preview, setPreview] = React.useState<PreviewResponse | null>(null);
  const [test, setTest] = React.useState<TestResponse | null>(null);
  const [busy, setBusy] = React.useState<'preview' | 'test' | null>(null);

  const runPreview = async () => {
    if (!documentId) return;
    setBusy('preview');
    try {
      const res = await post<{ data: PreviewResponse }>(`${API}/webhooks/${webhookId}/preview`, {
        documentId,
      });
      setPreview(res.data.data);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    setBusy('test');
    try {
      const res = await post<{ data: TestResponse }>(
        `${API}/webhooks/${webhookId}/test`,
        documentId ? { documentId } : {}
      );
      setTest(res.data.data);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setBusy(null);
    }
  };

  const testOk =
    test && !test.error && test.status !== null && test.status >= 200 && test.status < 300;

  return (
    <Flex direction="column" alignItems="stretch" gap={4}>
      {dirty && (
        <Alert variant="warning" closeLabel={t('common.close')} title={t('preview.unsaved.title')}>
          {t('preview.unsaved.body')}
        </Alert>
      )}
      <Flex gap={2} alignItems="flex-end" wrap="wrap">
        <Box style={{ flex: '1 1 320px' }}>
          <Field.Root name="previewDocument" id="previewDocument" hint={t('preview.document.hint')}>
            <Field.Label>{t('preview.document')}</Field.Label>
            <Combobox
              value={documentId}
              onChange={(v) => setDocumentId(v ?? undefined)}
              onInputChange={(e) => setSearch(e.target.value)}
              autocomplete={{ type: 'list', filter: 'contains' }}
              onClear={() => {
                setDocumentId(undefined);
                setSearch('');
              }}
              clearLabel={t('common.clear')}
              placeholder={t('preview.document.placeholder')}
              loading={loading}
              loadingMessage={t('common.loading')}
              noOptionsMessage={() => t('preview.document.none')}
            >
              {options.map((o) => (
                <ComboboxOption key={o.documentId} value={o.documentId}>
                  {o.label}
                </ComboboxOption>
              ))}
            </Combobox>
            <Field.Hint />
          </Field.Root>
        </Box>
        <Button
          variant="secondary"
          startIcon={<Eye />}
          onClick={runPreview}
          disabled={!documentId}
          loading={busy === 'preview'}
        >
          {t('preview.run')}
        </Button>
        {canTest && (
          <Button
            variant="default"
            startIcon={<PaperPlane />}
            onClick={runTest}
            loading={busy === 'test'}
          >
            {t('preview.test')}
          </Button>
        )}
      </Flex>

      {preview && (
        <Box
          padding={4}
          hasRadius
          borderColor="neutral200"
          background="neutral0"
          aria-label={t('preview.result')}
          role="region"
        >
          <Flex direction="column" alignItems="stretch" gap={3}>
            <Flex gap={2}>
              <Typography variant="delta">{t('preview.condition')}</Typography>
              {preview.conditionError ? (
                <Badge variant="danger">{t('preview.conditionError')}</Badge>
              ) : preview.matches ? (
                <Badge variant="success">{t('preview.matches')}</Badge>
              ) : (
                <Badge variant="warning">{t('preview.noMatch')}</Badge>
              )}
            </Flex>
            {preview.conditionError && (
              <Typography textColor="danger600">{preview.conditionError}</Typography>
            )}
            {preview.error && (
              <Alert
                variant="danger"
                closeLabel={t('common.close')}
                title={t('preview.renderError')}
              >
                {preview.error}
              </Alert>
            )}
            {preview.request && (
              <>
                <Typography variant="delta">{t('preview.request')}</Typography>
                <Typography fontWeight="semiBold" style={{ wordBreak: 'break-all' }}>
                  {preview.request.method} {preview.request.url}
                </Typography>
                <Grid.Root gap={4}>
                  <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                    <Typography variant="sigma" textColor="neutral600">
                      {t('common.headers')}
                    </Typography>
                    <CodeBlock label={t('preview.requestHeaders')}>
                      {headerLines(preview.request.headers)}
                    </CodeBlock>
                  </Grid.Item>
                  <Grid.Item col={7} s={12} direction="column" alignItems="stretch">
                    <Typography variant="sigma" textColor="neutral600">
                      {t('common.body')}
                    </Typography>
                    <CodeBlock label={t('preview.requestBody')}>
                      {pretty(preview.request.body) || t('common.empty')}
                    </CodeBlock>
                  </Grid.Item>
                </Grid.Root>
              </>
            )}
          </Flex>
        </Box>
      )}

      {test && (
        <Box
          padding={4}
          hasRadius
          borderColor="neutral200"
          background="neutral0"
          aria-label={t('preview.testResult')}
          role="region"
        >
          <Flex direction="column" alignItems="stretch" gap={3}>
            <Flex gap={3} wrap="wrap">
              <Typography variant="delta">{t('preview.testResult')}</Typography>
              <Badge variant={testOk ? 'success' : 'danger'}>
                {test.status !== null
                  ? t('preview.httpStatus', { status: test.status })
                  : t('preview.noResponse')}
              </Badge>
              <Typography textColor="neutral600">
                {t('preview.duration', { ms: test.durationMs })}
              </Typography>
              {test.logId ? (
                <Link to={`../../logs?log=${test.logId}`} relative="path">
                  {t('preview.openLog')}
                </Link>
              ) : null}
            </Flex>
            {test.error && <Typography textColor="danger600">{test.error}</Typography>}
            <Typography variant="sigma" textColor="neutral600">
              {t('preview.responseBody')}
            </Typography>
            <CodeBlock label={t('preview.responseBody')}>
              {pretty(test.responseBody) || t('common.empty')}
            </CodeBlock>
          </Flex>
        </Box>
      )}
    </Flex>
  );
};
