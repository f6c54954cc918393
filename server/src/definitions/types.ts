import type {
  CoalesceSettings,
  FieldError,
  FormField,
  HeaderInput,
  WebhookInput,
} from '../contracts/webhooks';

// Request and response shapes are the admin API contract, shared with the admin panel.
export type { FieldError, HeaderInput, WebhookInput };
export type FormFieldInput = FormField;

/** A stored row (secret values encrypted). */
export interface WebhookRow extends Omit<WebhookInput, 'secret' | 'headers' | 'coalesce'> {
  coalesce?: CoalesceSettings | null;
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
