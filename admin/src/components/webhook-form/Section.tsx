import * as React from 'react';
import { Box, Field, Flex, Typography } from '@strapi/design-system';
import type { FieldErrors, Values } from '../../utils/form';

/** What every section of the webhook form gets from the page. */
export interface SectionProps {
  values: Values;
  /** Set one value; clears that field's server errors (and its rows'). */
  set: <K extends keyof Values>(key: K, value: Values[K]) => void;
  errors: FieldErrors;
  readOnly: boolean;
}

/** A titled card of the form; its title names the region (the browser test finds sections by it). */
export const Section = ({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: string;
  children: React.ReactNode;
}) => (
  <Box
    background="neutral0"
    hasRadius
    shadow="filterShadow"
    paddingTop={6}
    paddingBottom={6}
    paddingLeft={7}
    paddingRight={7}
    tag="section"
    aria-label={title}
  >
    <Flex direction="column" alignItems="stretch" gap={4}>
      <Flex direction="column" alignItems="stretch" gap={1}>
        <Typography variant="delta" tag="h2">
          {title}
        </Typography>
        {subtitle && (
          <Typography variant="pi" textColor="neutral600">
            {subtitle}
          </Typography>
        )}
      </Flex>
      {children}
    </Flex>
  </Box>
);

interface FormFieldProps {
  /** The API field path: the input's name and id, and where its server error is looked up. */
  name: string;
  label: React.ReactNode;
  labelAction?: React.ReactNode;
  hint?: string;
  error?: string;
  required?: boolean;
  children: React.ReactNode;
}

/** Label, control, hint and error of one field, wired for screen readers by Field.Root. */
export const FormField = ({
  name,
  label,
  labelAction,
  hint,
  error,
  required,
  children,
}: FormFieldProps) => (
  <Field.Root name={name} id={name} error={error} hint={hint} required={required}>
    <Field.Label action={labelAction}>{label}</Field.Label>
    {children}
    <Field.Hint />
    <Field.Error />
  </Field.Root>
);
