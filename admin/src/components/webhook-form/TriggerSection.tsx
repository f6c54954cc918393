import * as React from 'react';
import {
  Box,
  Checkbox,
  Flex,
  Grid,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { EVENTS, FRAPPE_EVENTS, type ContentType } from '../../utils/api';
import { toggleEvent } from '../../utils/form';
import { useT } from '../../utils/useT';
import { FormField, Section, type SectionProps } from './Section';

/** 1. Name, content type and the events that trigger the webhook. */
export const TriggerSection = ({
  values,
  set,
  errors,
  readOnly,
  contentTypes,
}: SectionProps & { contentTypes: ContentType[] }) => {
  const { t } = useT();
  return (
    <Section title={t('form.section.trigger')} subtitle={t('form.section.trigger.subtitle')}>
      <Grid.Root gap={4}>
        <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
          <FormField name="name" label={t('form.name')} error={errors.name} required>
            <TextInput
              value={values.name}
              disabled={readOnly}
              placeholder={t('form.name.placeholder')}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('name', e.target.value)}
            />
          </FormField>
        </Grid.Item>
        <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
          <FormField
            name="contentType"
            label={t('form.contentType')}
            error={errors.contentType}
            required
            hint={t('form.contentType.hint')}
          >
            <SingleSelect
              value={values.contentType}
              disabled={readOnly}
              placeholder={t('form.contentType.placeholder')}
              onChange={(v) => set('contentType', String(v))}
            >
              {contentTypes.map((c) => (
                <SingleSelectOption key={c.uid} value={c.uid}>
                  {c.displayName}
                </SingleSelectOption>
              ))}
            </SingleSelect>
          </FormField>
        </Grid.Item>
        <Grid.Item col={12} direction="column" alignItems="stretch">
          <FormField name="events" label={t('form.events')} error={errors.events} required>
            <Flex gap={3} wrap="wrap" role="group" aria-label={t('form.events')}>
              {EVENTS.map((ev) => {
                const checked = values.events.includes(ev);
                return (
                  <Box
                    key={ev}
                    padding={3}
                    hasRadius
                    borderColor={checked ? 'primary600' : 'neutral200'}
                    background={checked ? 'primary100' : 'neutral0'}
                    minWidth="200px"
                  >
                    <Checkbox
                      checked={checked}
                      disabled={readOnly}
                      onCheckedChange={(c) =>
                        set('events', toggleEvent(values.events, ev, Boolean(c)))
                      }
                    >
                      {t(`event.${ev}`)}
                    </Checkbox>
                    <Typography
                      variant="pi"
                      textColor="neutral600"
                      tag="div"
                      style={{ paddingLeft: 24 }}
                    >
                      <code>{ev}</code>
                      {FRAPPE_EVENTS[ev]
                        ? ` · ${t('form.events.frappe', { name: FRAPPE_EVENTS[ev] })}`
                        : ''}
                    </Typography>
                  </Box>
                );
              })}
            </Flex>
          </FormField>
        </Grid.Item>
      </Grid.Root>
    </Section>
  );
};
