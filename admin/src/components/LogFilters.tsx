import * as React from 'react';
import {
  Box,
  DatePicker,
  Field,
  Flex,
  Searchbar,
  SingleSelect,
  SingleSelectOption,
} from '@strapi/design-system';
import { LOG_STATUSES, type ContentType, type Webhook } from '../utils/api';
import { useT } from '../utils/useT';

export interface Filters {
  webhook: string;
  status: string;
  contentType: string;
  /** Search by document: its documentId, or part of its title (`GET /logs?document=`). */
  document: string;
  since?: Date;
  until?: Date;
}

interface LogFiltersProps {
  /** One webhook's log (its "Deliveries" tab): no webhook or content type filter. */
  webhookId?: number;
  filters: Filters;
  setFilter: (patch: Partial<Filters>) => void;
  /** The document search as typed (the table applies it after a pause). */
  documentSearch: string;
  setDocumentSearch: (value: string) => void;
  webhooks: Webhook[];
  contentTypes: ContentType[];
  /** The actions at the end of the bar. */
  children?: React.ReactNode;
}

/** The request log's filter bar (docs/admin.md). */
export const LogFilters = ({
  webhookId,
  filters,
  setFilter,
  documentSearch,
  setDocumentSearch,
  webhooks,
  contentTypes,
  children,
}: LogFiltersProps) => {
  const { t, locale } = useT();
  return (
    <Flex gap={3} wrap="wrap" alignItems="flex-end">
      <Box width="240px">
        <Searchbar
          name="documentSearch"
          size="S"
          value={documentSearch}
          onChange={(e) => setDocumentSearch(e.target.value)}
          onClear={() => setDocumentSearch('')}
          clearLabel={t('common.clear')}
          placeholder={t('logs.filter.document.placeholder')}
        >
          {t('logs.filter.document')}
        </Searchbar>
      </Box>
      {!webhookId && (
        <Box minWidth="200px">
          <Field.Root name="filterWebhook" id="filterWebhook">
            <Field.Label>{t('logs.filter.webhook')}</Field.Label>
            <SingleSelect
              size="S"
              value={filters.webhook}
              onChange={(v) => setFilter({ webhook: String(v) })}
              placeholder={t('logs.filter.all')}
              onClear={() => setFilter({ webhook: '' })}
              clearLabel={t('common.clear')}
            >
              {webhooks.map((w) => (
                <SingleSelectOption key={w.id} value={String(w.id)}>
                  {w.name}
                </SingleSelectOption>
              ))}
            </SingleSelect>
          </Field.Root>
        </Box>
      )}
      <Box minWidth="160px">
        <Field.Root name="filterStatus" id="filterStatus">
          <Field.Label>{t('logs.filter.status')}</Field.Label>
          <SingleSelect
            size="S"
            value={filters.status}
            onChange={(v) => setFilter({ status: String(v) })}
            placeholder={t('logs.filter.all')}
            onClear={() => setFilter({ status: '' })}
            clearLabel={t('common.clear')}
          >
            {LOG_STATUSES.map((s) => (
              <SingleSelectOption key={s} value={s}>
                {t(`status.${s}`)}
              </SingleSelectOption>
            ))}
          </SingleSelect>
        </Field.Root>
      </Box>
      {!webhookId && (
        <Box minWidth="180px">
          <Field.Root name="filterContentType" id="filterContentType">
            <Field.Label>{t('logs.filter.contentType')}</Field.Label>
            <SingleSelect
              size="S"
              value={filters.contentType}
              onChange={(v) => setFilter({ contentType: String(v) })}
              placeholder={t('logs.filter.all')}
              onClear={() => setFilter({ contentType: '' })}
              clearLabel={t('common.clear')}
            >
              {contentTypes.map((c) => (
                <SingleSelectOption key={c.uid} value={c.uid}>
                  {c.displayName}
                </SingleSelectOption>
              ))}
            </SingleSelect>
          </Field.Root>
        </Box>
      )}
      <Box width="170px">
        <Field.Root name="filterSince" id="filterSince">
          <Field.Label>{t('logs.filter.since')}</Field.Label>
          <DatePicker
            size="S"
            locale={locale}
            value={filters.since}
            onChange={(d) => setFilter({ since: d })}
            onClear={() => setFilter({ since: undefined })}
            clearLabel={t('common.clear')}
          />
        </Field.Root>
      </Box>
      <Box width="170px">
        <Field.Root name="filterUntil" id="filterUntil">
          <Field.Label>{t('logs.filter.until')}</Field.Label>
          <DatePicker
            size="S"
            locale={locale}
            value={filters.until}
            onChange={(d) => setFilter({ until: d })}
            onClear={() => setFilter({ until: undefined })}
            clearLabel={t('common.clear')}
          />
        </Field.Root>
      </Box>
      {children}
    </Flex>
  );
};
