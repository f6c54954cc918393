import * as React from 'react';
import { Alert, Box, Button, Flex, Modal, Radio, Typography } from '@strapi/design-system';
import { Download, Upload } from '@strapi/icons';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { API, errorMessage, fieldErrors, type Webhook } from '../utils/api';
import { useT } from '../utils/useT';

type OnConflict = 'skip' | 'overwrite';

interface Pending {
  fileName: string;
  version: unknown;
  entries: Record<string, unknown>[];
}

/**
 * What an import will do, as the server decides it (docs/api.md, "Export and import"): by
 * name, managed webhooks skipped, existing ones skipped or overwritten, the rest created.
 * A name that several existing webhooks share is refused by the server: listed apart.
 */
export function previewImport(
  names: string[],
  existing: Pick<Webhook, 'name' | 'managed'>[],
  onConflict: OnConflict
) {
  const out = {
    created: [] as string[],
    updated: [] as string[],
    skipped: [] as string[],
    ambiguous: [] as string[],
  };
  for (const name of names) {
    const same = existing.filter((w) => w.name === name);
    if (same.some((w) => w.managed)) out.skipped.push(name);
    else if (same.length > 1) out.ambiguous.push(name);
    else if (same.length === 1) (onConflict === 'overwrite' ? out.updated : out.skipped).push(name);
    else out.created.push(name);
  }
  return out;
}

/** `["webhooks", 1, "headers", 0, "name"]` → `webhooks[1].headers[0].name`. */
const dotted = (path: (string | number)[]) =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');

/** Export (a JSON file download) and Import (upload, preview, confirm) on the webhooks list. */
export const TransferButtons = ({
  webhooks,
  canImport,
  onImported,
}: {
  webhooks: Webhook[];
  canImport: boolean;
  onImported: () => void;
}) => {
  const { t } = useT();
  const { get, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const fileInput = React.useRef<HTMLInputElement>(null);
  const [exporting, setExporting] = React.useState(false);
  const [pending, setPending] = React.useState<Pending | null>(null);
  const [onConflict, setOnConflict] = React.useState<OnConflict>('skip');
  const [importing, setImporting] = React.useState(false);
  const [problems, setProblems] = React.useState<string[]>([]);

  const download = async () => {
    setExporting(true);
    try {
      const res = await get<Record<string, unknown>>(`${API}/webhooks/export`);
      const blob = new Blob([`${JSON.stringify(res.data, null, 2)}\n`], {
        type: 'application/json',
      });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `document-webhooks-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(url);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorMessage(err) });
    } finally {
      setExporting(false);
    }
  };

  const pick = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      const parsed = JSON.parse(await file.text());
      const entries = Array.isArray(parsed) ? parsed : parsed?.webhooks;
      if (
        !Array.isArray(entries) ||
        entries.some((w) => !w || typeof w !== 'object' || Array.isArray(w))
      )
        throw new Error('shape');
      setProblems([]);
      setOnConflict('skip');
      setPending({
        fileName: file.name,
        version: Array.isArray(parsed) ? undefined : parsed.version,
        entries,
      });
    } catch {
      toggleNotification({
        type: 'danger',
        message: t('transfer.import.badFile', { name: file.name }),
      });
    }
  };

  const confirm = async () => {
    if (!pending) return;
    setImporting(true);
    setProblems([]);
    try {
      const body = {
        webhooks: pending.entries,
        onConflict,
        ...(pending.version !== undefined ? { version: pending.version } : {}),
      };
      const res = await post<{ data: { created: string[]; updated: string[]; skipped: string[] } }>(
        `${API}/webhooks/import`,
        body
      );
      const { created, updated, skipped } = res.data.data;
      toggleNotification({
        type: 'success',
        message: t('transfer.import.done', {
          created: created.length,
          updated: updated.length,
          skipped: skipped.length,
        }),
      });
      setPending(null);
      onImported();
    } catch (err) {
      // Nothing was stored: the dialog stays open with the reasons.
      const list = fieldErrors(err);
      setProblems(
        list
          ? list.map((e) => `${dotted(e.path) || t('transfer.import.file')}: ${e.message}`)
          : [errorMessage(err)]
      );
    } finally {
      setImporting(false);
    }
  };

  const names = (pending?.entries ?? []).map((w) => String(w.name ?? ''));
  const plan = previewImport(names, webhooks, onConflict);
  const group = (key: 'created' | 'updated' | 'skipped' | 'ambiguous', items: string[]) =>
    items.length > 0 && (
      <Box
        key={key}
        aria-label={t(`transfer.preview.${key}`, { count: items.length })}
        role="group"
      >
        <Typography variant="omega" fontWeight="bold" tag="h3">
          {t(`transfer.preview.${key}`, { count: items.length })}
        </Typography>
        <Box tag="ul" paddingLeft={4} paddingTop={1}>
          {items.map((name, i) => (
            <li key={`${name}-${i}`}>
              <Typography>{name}</Typography>
            </li>
          ))}
        </Box>
      </Box>
    );

  return (
    <>
      <Button
        variant="tertiary"
        size="S"
        startIcon={<Download />}
        onClick={download}
        loading={exporting}
      >
        {t('transfer.export')}
      </Button>
      {canImport && (
        <>
          <Button
            variant="tertiary"
            size="S"
            startIcon={<Upload />}
            onClick={() => fileInput.current?.click()}
          >
            {t('transfer.import')}
          </Button>
          <input
            ref={fileInput}
            type="file"
            accept="application/json,.json"
            hidden
            aria-label={t('transfer.import.fileLabel')}
            onChange={pick}
          />
        </>
      )}
      <Modal.Root
        open={pending !== null}
        onOpenChange={(open) => !open && !importing && setPending(null)}
      >
        <Modal.Content style={{ maxWidth: '640px', width: '90vw' }}>
          <Modal.Header closeLabel={t('common.close')}>
            <Modal.Title>{t('transfer.preview.title')}</Modal.Title>
          </Modal.Header>
          <Modal.Body>
            <Flex direction="column" alignItems="stretch" gap={4}>
              <Typography textColor="neutral600">
                {t('transfer.preview.intro', {
                  file: pending?.fileName ?? '',
                  count: names.length,
                })}
              </Typography>
              <Box>
                <Typography variant="pi" fontWeight="bold" tag="div" id="on-conflict-label">
                  {t('transfer.onConflict')}
                </Typography>
                <Radio.Group
                  aria-labelledby="on-conflict-label"
                  value={onConflict}
                  onValueChange={(v) => setOnConflict(v as OnConflict)}
                >
                  <Radio.Item value="skip">{t('transfer.onConflict.skip')}</Radio.Item>
                  <Radio.Item value="overwrite">{t('transfer.onConflict.overwrite')}</Radio.Item>
                </Radio.Group>
              </Box>
              {group('created', plan.created)}
              {group('updated', plan.updated)}
              {group('skipped', plan.skipped)}
              {group('ambiguous', plan.ambiguous)}
              {pending?.entries.some(
                (w) =>
                  w.needsSecret === true ||
                  (Array.isArray(w.headers) &&
                    w.headers.some(
                      (h: any) => h?.secret && (h.value === null || h.value === undefined)
                    ))
              ) && (
                <Typography variant="pi" textColor="neutral600">
                  {t('transfer.preview.secrets')}
                </Typography>
              )}
              {problems.length > 0 && (
                <Alert
                  variant="danger"
                  closeLabel={t('common.close')}
                  title={t('transfer.import.failed')}
                  onClose={() => setProblems([])}
                >
                  <Box tag="ul" paddingLeft={4}>
                    {problems.map((p, i) => (
                      <li key={i}>{p}</li>
                    ))}
                  </Box>
                </Alert>
              )}
            </Flex>
          </Modal.Body>
          <Modal.Footer>
            <Modal.Close>
              <Button variant="tertiary" disabled={importing}>
                {t('transfer.cancel')}
              </Button>
            </Modal.Close>
            <Button
              onClick={confirm}
              loading={importing}
              disabled={
                plan.created.length + plan.updated.length === 0 || plan.ambiguous.length > 0
              }
            >
              {t('transfer.confirm')}
            </Button>
          </Modal.Footer>
        </Modal.Content>
      </Modal.Root>
    </>
  );
};
