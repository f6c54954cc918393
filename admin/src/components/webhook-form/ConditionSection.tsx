import { Box, Flex, IconButton, Popover, Typography } from '@strapi/design-system';
import { Question } from '@strapi/icons';
import type { ContentType } from '../../utils/api';
import { useT } from '../../utils/useT';
import { CodeEditor } from '../CodeEditor';
import { FormField, Section, type SectionProps } from './Section';

const EXAMPLES = [
  ['doc.state == "Ordered"', 'condition.help.ex1'],
  ['doc.state == "Ordered" && previous.state != "Ordered"', 'condition.help.ex2'],
  ['doc.grandTotal > 10000', 'condition.help.ex3'],
  ['previous == null || doc.customer != previous.customer', 'condition.help.ex4'],
  ['event == "entry.publish" && locale == "fr"', 'condition.help.ex5'],
];

const ConditionHelp = ({ contentType }: { contentType?: ContentType }) => {
  const { t } = useT();
  return (
    <Popover.Root>
      <Popover.Trigger>
        <IconButton label={t('condition.help.button')} variant="ghost" size="S" type="button">
          <Question />
        </IconButton>
      </Popover.Trigger>
      <Popover.Content side="bottom" align="start" style={{ maxWidth: 520 }}>
        <Box padding={4}>
          <Flex direction="column" alignItems="stretch" gap={2}>
            <Typography variant="delta">{t('condition.help.title')}</Typography>
            <Typography variant="pi">{t('condition.help.intro')}</Typography>
            {EXAMPLES.map(([code, key]) => (
              <Box key={key}>
                <Typography
                  tag="code"
                  variant="pi"
                  fontWeight="semiBold"
                  style={{ fontFamily: 'ui-monospace, monospace' }}
                >
                  {code}
                </Typography>
                <Typography variant="pi" textColor="neutral600" tag="div">
                  {t(key)}
                </Typography>
              </Box>
            ))}
            <Typography variant="pi" textColor="neutral600">
              {t('condition.help.variables')}
            </Typography>
            {contentType && (
              <Typography variant="pi" textColor="neutral600">
                {t('condition.help.fields', {
                  name: contentType.displayName,
                  fields: ['documentId', ...contentType.attributes.map((a) => a.name)].join(', '),
                })}
              </Typography>
            )}
          </Flex>
        </Box>
      </Popover.Content>
    </Popover.Root>
  );
};

/** 2. The Jexl condition, with examples and the content type's fields. */
export const ConditionSection = ({
  values,
  set,
  errors,
  readOnly,
  contentType,
}: SectionProps & { contentType?: ContentType }) => {
  const { t } = useT();
  const error = errors.condition;
  return (
    <Section title={t('form.section.condition')} subtitle={t('form.section.condition.subtitle')}>
      <FormField
        name="condition"
        label={t('form.condition')}
        labelAction={<ConditionHelp contentType={contentType} />}
        error={error}
        hint={t('form.condition.hint')}
      >
        <CodeEditor
          id="condition"
          name="condition"
          rows={3}
          describedBy={error ? 'condition-error' : 'condition-hint'}
          value={values.condition}
          hasError={Boolean(error)}
          placeholder='doc.state == "Ordered" && previous.state != "Ordered"'
          disabled={readOnly}
          onChange={(v) => set('condition', v)}
        />
      </FormField>
    </Section>
  );
};
