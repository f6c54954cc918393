import * as React from 'react';
import {
  Box,
  Button,
  Checkbox,
  Flex,
  Grid,
  IconButton,
  Switch,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { Plus, Trash } from '@strapi/icons';
import { emptyHeader, setHeaderSecret, type HeaderRow } from '../../utils/form';
import { useT } from '../../utils/useT';
import { FormField, Section, type SectionProps } from './Section';

/** 5. Custom headers (secret ones are kept encrypted and never shown again), and the on/off switch. */
export const HeadersSection = ({ values, set, errors, readOnly }: SectionProps) => {
  const { t } = useT();
  const update = (id: string, change: (row: HeaderRow) => HeaderRow) =>
    set(
      'headers',
      values.headers.map((x) => (x.id === id ? change(x) : x))
    );
  return (
    <Section title={t('form.section.headers')} subtitle={t('form.section.headers.subtitle')}>
      <Flex direction="column" alignItems="stretch" gap={3}>
        {values.headers.length === 0 && (
          <Typography textColor="neutral600">{t('form.headers.none')}</Typography>
        )}
        {values.headers.map((h, i) => (
          // Server errors name rows by position (`headers.0.value`), as they were sent.
          <Grid.Root
            key={h.id}
            gap={3}
            aria-label={t('form.headers.row', { index: i + 1 })}
            role="group"
          >
            <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
              <FormField
                name={`headers.${i}.name`}
                label={t('form.headers.name', { index: i + 1 })}
                error={errors[`headers.${i}.name`]}
              >
                <TextInput
                  value={h.name}
                  disabled={readOnly}
                  placeholder="Authorization"
                  onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                    update(h.id, (x) => ({ ...x, name: e.target.value }))
                  }
                />
              </FormField>
            </Grid.Item>
            <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
              <FormField
                name={`headers.${i}.value`}
                label={t('form.headers.value', { index: i + 1 })}
                error={errors[`headers.${i}.value`]}
                hint={h.secret && h.stored ? t('form.headers.keep') : undefined}
              >
                <TextInput
                  type={h.secret ? 'password' : 'text'}
                  autoComplete="off"
                  value={h.value ?? ''}
                  disabled={readOnly}
                  placeholder={h.secret && h.stored ? '••••••••' : ''}
                  onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                    update(h.id, (x) => ({ ...x, value: e.target.value }))
                  }
                />
              </FormField>
            </Grid.Item>
            <Grid.Item col={2} s={6} direction="column" alignItems="flex-start" paddingTop={6}>
              <Checkbox
                checked={h.secret}
                disabled={readOnly}
                onCheckedChange={(c) => update(h.id, (x) => setHeaderSecret(x, Boolean(c)))}
              >
                {t('form.headers.secret', { index: i + 1 })}
              </Checkbox>
            </Grid.Item>
            <Grid.Item col={1} s={6} paddingTop={6}>
              <IconButton
                label={t('form.headers.remove', { index: i + 1 })}
                variant="ghost"
                disabled={readOnly}
                onClick={() =>
                  set(
                    'headers',
                    values.headers.filter((x) => x.id !== h.id)
                  )
                }
              >
                <Trash />
              </IconButton>
            </Grid.Item>
          </Grid.Root>
        ))}
        <Box>
          <Button
            variant="secondary"
            startIcon={<Plus />}
            disabled={readOnly}
            onClick={() => set('headers', [...values.headers, emptyHeader()])}
          >
            {t('form.headers.add')}
          </Button>
        </Box>
        <Box paddingTop={2}>
          <FormField
            name="enabled"
            label={t('form.enabled')}
            error={errors.enabled}
            hint={t('form.enabled.hint')}
          >
            <Switch
              aria-label={t('form.enabled')}
              checked={values.enabled}
              disabled={readOnly}
              onCheckedChange={(c) => set('enabled', c)}
              onLabel={t('common.enabled')}
              offLabel={t('common.disabled')}
              visibleLabels
            />
          </FormField>
        </Box>
      </Flex>
    </Section>
  );
};
