import * as React from 'react';
import {
  Grid,
  NumberInput,
  SingleSelect,
  SingleSelectOption,
  Switch,
  TextInput,
} from '@strapi/design-system';
import { METHODS } from '../../utils/api';
import { useT } from '../../utils/useT';
import { FormField, Section, type SectionProps } from './Section';

/** 3. Where and how the request goes: URL, method, timeout, attempts. */
export const RequestSection = ({ values, set, errors, readOnly }: SectionProps) => {
  const { t } = useT();
  return (
    <Section title={t('form.section.request')} subtitle={t('form.section.request.subtitle')}>
      <Grid.Root gap={4}>
        <Grid.Item col={9} s={12} direction="column" alignItems="stretch">
          <FormField
            name="url"
            label={t('form.url')}
            error={errors.url}
            required
            hint={values.dynamicUrl ? t('form.url.dynamicHint') : t('form.url.hint')}
          >
            <TextInput
              value={values.url}
              disabled={readOnly}
              placeholder="https://erp.example.com/api/method/webhook"
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('url', e.target.value)}
            />
          </FormField>
        </Grid.Item>
        <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
          <FormField name="method" label={t('form.method')} error={errors.method}>
            <SingleSelect
              value={values.method}
              disabled={readOnly}
              onChange={(v) => set('method', String(v))}
            >
              {METHODS.map((m) => (
                <SingleSelectOption key={m} value={m}>
                  {m}
                </SingleSelectOption>
              ))}
            </SingleSelect>
          </FormField>
        </Grid.Item>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <FormField
            name="dynamicUrl"
            label={t('form.dynamicUrl')}
            error={errors.dynamicUrl}
            hint={t('form.dynamicUrl.hint')}
          >
            <Switch
              aria-label={t('form.dynamicUrl')}
              checked={values.dynamicUrl}
              disabled={readOnly}
              onCheckedChange={(c) => set('dynamicUrl', c)}
              onLabel={t('common.on')}
              offLabel={t('common.off')}
              visibleLabels
            />
          </FormField>
        </Grid.Item>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <FormField
            name="timeoutMs"
            label={t('form.timeout')}
            error={errors.timeoutMs}
            hint={t('form.timeout.hint')}
          >
            <NumberInput
              value={values.timeoutMs}
              disabled={readOnly}
              onValueChange={(v) => set('timeoutMs', v ?? 0)}
            />
          </FormField>
        </Grid.Item>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <FormField
            name="maxAttempts"
            label={t('form.maxAttempts')}
            error={errors.maxAttempts}
            hint={t('form.maxAttempts.hint')}
          >
            <NumberInput
              value={values.maxAttempts}
              disabled={readOnly}
              onValueChange={(v) => set('maxAttempts', v ?? 0)}
            />
          </FormField>
        </Grid.Item>
      </Grid.Root>
    </Section>
  );
};
