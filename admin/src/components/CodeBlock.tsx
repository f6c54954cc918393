import * as React from 'react';
import { Box, Typography } from '@strapi/design-system';

/** Monospace, scrollable, pre-formatted text (request and response bodies, headers). */
export const CodeBlock = ({
  children,
  label,
  maxHeight = '320px',
}: {
  children: React.ReactNode;
  label?: string;
  maxHeight?: string;
}) => (
  <Box
    background="neutral100"
    hasRadius
    padding={3}
    borderColor="neutral200"
    style={{ overflow: 'auto', maxHeight }}
    aria-label={label}
    role={label ? 'region' : undefined}
  >
    <Typography
      tag="pre"
      variant="omega"
      style={{
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-all',
        margin: 0,
      }}
    >
      {children}
    </Typography>
  </Box>
);

/** Headers as `Name: value` lines. */
export const headerLines = (headers: Record<string, unknown> | null | undefined) =>
  Object.entries(headers ?? {})
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');
