import * as React from 'react';
import { Grid, NumberInput, Radio, Typography } from '@strapi/design-system';
import { defaultMaxWait, type Values } from '../../utils/form';
import { useT } from '../../utils/useT';
import { FormField, Section, type SectionProps } from './Section';

const MODES = ['off', 'document', 'webhook'] as const;

/** 7. Bursts: coalescing windows (docs/events.md), so a bulk publish is one request. */
export const BurstsSection = ({ values, set, errors, readOnly }: SectionProps) => {
  const { t } = useT();
  const on = values.coalesceBy !== 'off';
  return (
    <Section title={t('form.section.bursts')} subtitle={t('form.section.bursts.subtitle')}>
      <FormField
        name="coalesce.by"
        label={t('form.coalesce.by')}
        error={errors['coalesce.by'] ?? errors.coalesce}
      >
        <Radio.Group
          aria-label={t('form.coalesce.by')}
          value={values.coalesceBy}
          disabled={readOnly}
          onValueChange={(v: string) => set('coalesceBy', v as Values['coalesceBy'])}
        >
          {MODES.map((m) => (
            <Radio.Item key={m} value={m}>
              <Typography fontWeight="semiBold">{t(`form.coalesce.${m}`)}</Typography>{' '}
              <Typography textColor="neutral600">{t(`form.coalesce.${m}.help`)}</Typography>
            </Radio.Item>
          ))}
        </Radio.Group>
      </FormField>
      {on && (
        <Grid.Root gap={4}>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <FormField
              name="coalesce.windowSeconds"
              label={t('form.coalesce.window')}
              error={errors['coalesce.windowSeconds']}
              hint={t('form.coalesce.window.hint')}
            >
              <NumberInput
                value={values.windowSeconds}
                disabled={readOnly}
                onValueChange={(v) => set('windowSeconds', v ?? 0)}
              />
            </FormField>
          </Grid.Item>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <FormField
              name="coalesce.maxWaitSeconds"
              label={t('form.coalesce.maxWait')}
              error={errors['coalesce.maxWaitSeconds']}
              hint={t('form.coalesce.maxWait.hint', {
                seconds: defaultMaxWait(values.windowSeconds),
              })}
            >
              <NumberInput
                value={values.maxWaitSeconds ?? undefined}
                placeholder={String(defaultMaxWait(values.windowSeconds))}
                disabled={readOnly}
                onValueChange={(v) => set('maxWaitSeconds', v ?? null)}
              />
            </FormField>
          </Grid.Item>
        </Grid.Root>
      )}
    </Section>
  );
};
