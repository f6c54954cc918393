import { useIntl } from 'react-intl';
import { getTrad } from './getTrad';
import en from '../translations/en.json';

const EN = en as Record<string, string>;

/**
 * `t('list.title')` → the translated string for `document-webhooks.list.title`. The English
 * file is the default message, so a key missing from another language still shows English.
 */
export function useT() {
  const { formatMessage, formatDate, formatTime, formatNumber, locale } = useIntl();
  const t = (id: string, values?: Record<string, any>) =>
    formatMessage({ id: getTrad(id), defaultMessage: EN[id] ?? id }, values) as string;
  const dateTime = (iso: string | null | undefined) =>
    iso
      ? `${formatDate(iso, { dateStyle: 'medium' } as any)} ${formatTime(iso, { timeStyle: 'medium' } as any)}`
      : '—';
  const shortDateTime = (iso: string | null | undefined) =>
    iso
      ? `${formatDate(iso, { dateStyle: 'short' } as any)} ${formatTime(iso, { timeStyle: 'medium' } as any)}`
      : '—';
  return { t, locale, dateTime, shortDateTime, formatNumber };
}
