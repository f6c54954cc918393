import type { WebhookEvent } from './events';

export interface HeaderInput {
  name: string;
  value: string | null;
  secret?: boolean;
}

export interface FormFieldInput {
  field: string;
  key: string;
}

/** The webhook definition as the admin API accepts and returns it (docs/api.md, "Webhook"). */
export interface WebhookInput {
  name: string;
  enabled: boolean;
  contentType: string;
  events: WebhookEvent[];
  condition: string | null;
  url: string;
  dynamicUrl: boolean;
  method: string;
  bodyType: 'default' | 'json' | 'form';
  jsonTemplate: string | null;
  formFields: FormFieldInput[];
  headers: HeaderInput[];
  secret?: string | null;
  timeoutMs: number;
  maxAttempts: number;
}

/** A stored row (secret values encrypted). */
export interface WebhookRow extends Omit<WebhookInput, 'secret' | 'headers'> {
  id: number;
  documentId?: string;
  headers: { name: string; value: string; secret: boolean }[] | null;
  secret: string | null;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
  /** true when the plugin config declares it; NULL otherwise (never false: see the webhook schema's unique index). */
  managed: boolean | null;
  createdAt: string;
  updatedAt: string;
}

export interface FieldError {
  path: (string | number)[];
  message: string;
}
