import * as React from 'react';
import {
  Box,
  Button,
  Flex,
  Grid,
  IconButton,
  SingleSelect,
  SingleSelectOption,
  Tabs,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { Plus, Trash } from '@strapi/icons';
import { BODY_TYPES, type ContentType } from '../../utils/api';
import {
  emptyFormField,
  fieldChoices,
  pickFormField,
  type FormFieldRow,
  type Values,
} from '../../utils/form';
import { useT } from '../../utils/useT';
import { CodeBlock } from '../CodeBlock';
import { CodeEditor, lineFromError } from '../CodeEditor';
import { FormField, Section, type SectionProps } from './Section';

const EXAMPLE_TEMPLATE = `{
  "id": {{ doc.documentId | dump }},
  "event": {{ event | dump }},
  "changedAt": {{ now | dump }}
}`;

/** 6. The body: Strapi's default payload, a JSON template, or chosen fields as a form. */
export const DataSection = ({
  values,
  set,
  errors,
  readOnly,
  contentType,
}: SectionProps & { contentType?: ContentType }) => {
  const { t } = useT();
  const templateError = errors.jsonTemplate;
  const choices = fieldChoices(contentType);
  const update = (id: string, change: (row: FormFieldRow) => FormFieldRow) =>
    set(
      'formFields',
      values.formFields.map((x) => (x.id === id ? change(x) : x))
    );
  return (
    <Section title={t('form.section.data')} subtitle={t('form.section.data.subtitle')}>
      <Tabs.Root
        value={values.bodyType}
        onValueChange={(v) => set('bodyType', v as Values['bodyType'])}
        variant="simple"
        hasError={errors.jsonTemplate || errors.formFields ? 'true' : undefined}
      >
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
            <FormField
              name="jsonTemplate"
              label={t('form.jsonTemplate')}
              labelAction={
                <Button
                  variant="ghost"
                  size="S"
                  type="button"
                  disabled={readOnly}
                  onClick={() => set('jsonTemplate', EXAMPLE_TEMPLATE)}
                >
                  {t('form.jsonTemplate.example')}
                </Button>
              }
              error={templateError}
              hint={t('form.jsonTemplate.hint')}
            >
              <CodeEditor
                id="jsonTemplate"
                name="jsonTemplate"
                rows={12}
                describedBy={templateError ? 'jsonTemplate-error' : 'jsonTemplate-hint'}
                value={values.jsonTemplate}
                hasError={Boolean(templateError)}
                errorLine={lineFromError(templateError)}
                disabled={readOnly}
                onChange={(v) => set('jsonTemplate', v)}
              />
            </FormField>
          </Tabs.Content>
          <Tabs.Content value="form">
            <Flex direction="column" alignItems="stretch" gap={3}>
              <Typography textColor="neutral700">{t('form.formFields.help')}</Typography>
              {errors.formFields && (
                <Typography textColor="danger600">{errors.formFields}</Typography>
              )}
              {values.formFields.map((f, i) => (
                <Grid.Root key={f.id} gap={3}>
                  <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                    <FormField
                      name={`formFields.${i}.field`}
                      label={t('form.formFields.field', { index: i + 1 })}
                      error={errors[`formFields.${i}.field`]}
                    >
                      <SingleSelect
                        value={f.field}
                        disabled={readOnly || !contentType}
                        placeholder={t('form.formFields.pick')}
                        onChange={(v) => update(f.id, (x) => pickFormField(x, String(v)))}
                      >
                        {choices.map((name) => (
                          <SingleSelectOption key={name} value={name}>
                            {name}
                          </SingleSelectOption>
                        ))}
                      </SingleSelect>
                    </FormField>
                  </Grid.Item>
                  <Grid.Item col={5} s={12} direction="column" alignItems="stretch">
                    <FormField
                      name={`formFields.${i}.key`}
                      label={t('form.formFields.key', { index: i + 1 })}
                      error={errors[`formFields.${i}.key`]}
                    >
                      <TextInput
                        value={f.key}
                        disabled={readOnly}
                        onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                          update(f.id, (x) => ({ ...x, key: e.target.value }))
                        }
                      />
                    </FormField>
                  </Grid.Item>
                  <Grid.Item col={2} s={12} paddingTop={6}>
                    <IconButton
                      label={t('form.formFields.remove', { index: i + 1 })}
                      variant="ghost"
                      disabled={readOnly}
                      onClick={() =>
                        set(
                          'formFields',
                          values.formFields.filter((x) => x.id !== f.id)
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
                  disabled={readOnly || !contentType}
                  onClick={() => set('formFields', [...values.formFields, emptyFormField()])}
                >
                  {t('form.formFields.add')}
                </Button>
              </Box>
            </Flex>
          </Tabs.Content>
        </Box>
      </Tabs.Root>
    </Section>
  );
};
