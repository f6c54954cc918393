import * as React from 'react';
import {
  Alert,
  Badge,
  Box,
  Button,
  Dialog,
  Field,
  Flex,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { Duplicate, Key, Trash } from '@strapi/icons';
import { ConfirmDialog, useClipboard, useNotification } from '@strapi/strapi/admin';
import { useT } from '../utils/useT';
import { CodeBlock } from './CodeBlock';
import type { SecretChange } from '../utils/form';

/** Node code that verifies `webhook-signature` (Standard Webhooks), for the receiver's side. */
export const verificationSnippet = (
  secret: string
) => `// Node.js (no dependency): verify a document webhook (Standard Webhooks)
const crypto = require('node:crypto');

const SECRET = process.env.WEBHOOK_SECRET; // ${secret.slice(0, 10)}…

function verifyWebhook(headers, rawBody) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'] || '';
  // Refuse old or future messages (replay protection): 5 minutes.
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = SECRET.startsWith('whsec_')
    ? Buffer.from(SECRET.slice(6), 'base64')
    : Buffer.from(SECRET, 'utf8');
  const expected = crypto
    .createHmac('sha256', key)
    .update(\`\${id}.\${timestamp}.\${rawBody}\`)
    .digest('base64');
  // Several signatures are sent while a secret is being rotated.
  return signatures.split(' ').some((s) => {
    const [version, signature] = s.split(',');
    return version === 'v1' && signature.length === expected.length &&
      crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  });
}
`;

interface SecretSectionProps {
  isNew: boolean;
  hasSecret: boolean;
  rotating: boolean;
  change: SecretChange;
  onChange: (change: SecretChange) => void;
  /** Rotate now (existing webhooks): resolves to the new secret. */
  onRotate: () => Promise<string | null>;
  /** A secret to show once (just generated or rotated). */
  revealed: string | null;
  onReveal: (secret: string | null) => void;
  generate: () => string;
  error?: string;
  disabled?: boolean;
}

/** Signing secret: generate, set your own, rotate, remove; shown once with a verification snippet. */
export const SecretSection = ({
  isNew,
  hasSecret,
  rotating,
  change,
  onChange,
  onRotate,
  revealed,
  onReveal,
  generate,
  error,
  disabled,
}: SecretSectionProps) => {
  const { t } = useT();
  const { copy } = useClipboard();
  const { toggleNotification } = useNotification();
  const [confirmRotate, setConfirmRotate] = React.useState(false);
  const signed =
    change?.kind === 'remove'
      ? false
      : hasSecret || change?.kind === 'set' || change?.kind === 'generated';

  const copyText = async (text: string) => {
    const ok = await copy(text);
    toggleNotification({
      type: ok ? 'success' : 'warning',
      message: t(ok ? 'secret.copied' : 'secret.copyFailed'),
    });
  };

  return (
    <Flex direction="column" alignItems="stretch" gap={4}>
      <Flex gap={2} wrap="wrap">
        <Badge variant={signed ? 'success' : 'neutral'}>
          {signed ? t('secret.signed') : t('secret.unsigned')}
        </Badge>
        {rotating && <Badge variant="warning">{t('secret.rotating')}</Badge>}
        {change?.kind === 'set' || change?.kind === 'generated' ? (
          <Typography textColor="neutral600">{t('secret.pendingSave')}</Typography>
        ) : null}
        {change?.kind === 'remove' ? (
          <Typography textColor="neutral600">{t('secret.pendingRemove')}</Typography>
        ) : null}
      </Flex>
      <Flex gap={2} wrap="wrap">
        {isNew || !hasSecret ? (
          <Button
            variant="secondary"
            startIcon={<Key />}
            disabled={disabled}
            onClick={() => {
              const secret = generate();
              onChange({ kind: 'generated', value: secret });
              onReveal(secret);
            }}
          >
            {t('secret.generate')}
          </Button>
        ) : (
          <Button
            variant="secondary"
            startIcon={<Key />}
            disabled={disabled}
            onClick={() => setConfirmRotate(true)}
          >
            {t('secret.rotate')}
          </Button>
        )}
        <Button
          variant="tertiary"
          disabled={disabled}
          onClick={() => onChange({ kind: 'set', value: '' })}
        >
          {t('secret.setOwn')}
        </Button>
        {(hasSecret || change) && (
          <Button
            variant="danger-light"
            startIcon={<Trash />}
            disabled={disabled}
            onClick={() => {
              onChange(hasSecret ? { kind: 'remove' } : null);
              onReveal(null);
            }}
          >
            {hasSecret ? t('secret.remove') : t('secret.cancel')}
          </Button>
        )}
      </Flex>
      {change?.kind === 'set' && (
        <Field.Root name="secret" id="secret" error={error} hint={t('secret.own.hint')}>
          <Field.Label>{t('secret.own')}</Field.Label>
          <TextInput
            type="password"
            autoComplete="new-password"
            value={change.value}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
              onChange({ kind: 'set', value: e.target.value })
            }
          />
          <Field.Hint />
          <Field.Error />
        </Field.Root>
      )}
      {change?.kind !== 'set' && error && <Typography textColor="danger600">{error}</Typography>}
      {revealed && (
        <Alert
          variant="success"
          closeLabel={t('common.close')}
          onClose={() => onReveal(null)}
          title={t('secret.once.title')}
        >
          <Flex direction="column" alignItems="stretch" gap={3} paddingTop={2}>
            <Typography>{t('secret.once.body')}</Typography>
            <Flex gap={2}>
              <Box
                padding={2}
                background="neutral100"
                hasRadius
                style={{ flex: 1, overflowX: 'auto' }}
              >
                <Typography
                  tag="code"
                  data-testid="revealed-secret"
                  style={{ fontFamily: 'ui-monospace, monospace' }}
                >
                  {revealed}
                </Typography>
              </Box>
              <Button
                variant="secondary"
                startIcon={<Duplicate />}
                onClick={() => copyText(revealed)}
              >
                {t('secret.copy')}
              </Button>
            </Flex>
            <Typography fontWeight="semiBold">{t('secret.snippet')}</Typography>
            <CodeBlock label={t('secret.snippet')}>{verificationSnippet(revealed)}</CodeBlock>
            <Box>
              <Button
                variant="tertiary"
                startIcon={<Duplicate />}
                onClick={() => copyText(verificationSnippet(revealed))}
              >
                {t('secret.copySnippet')}
              </Button>
            </Box>
          </Flex>
        </Alert>
      )}
      <Dialog.Root open={confirmRotate} onOpenChange={setConfirmRotate}>
        <ConfirmDialog
          variant="default"
          title={t('secret.rotate.title')}
          onConfirm={async () => {
            const secret = await onRotate();
            setConfirmRotate(false);
            if (secret) onReveal(secret);
          }}
        >
          {t('secret.rotate.body')}
        </ConfirmDialog>
      </Dialog.Root>
    </Flex>
  );
};
