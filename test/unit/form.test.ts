import { describe, expect, it } from 'vitest';
import type { Webhook } from '../../server/src/contracts';
import {
  clearFieldErrors,
  emptyFormField,
  emptyHeader,
  emptyValues,
  fieldChoices,
  fromWebhook,
  isDirty,
  mapServerErrors,
  pickFormField,
  setHeaderSecret,
  strayErrors,
  toggleEvent,
  toPayload,
  type HeaderRow,
  type SecretChange,
} from '../../admin/src/utils/form';

/** The admin form's state ↔ the admin API (docs/api.md), without a browser. */
const WEBHOOK: Webhook = {
  id: 7,
  name: 'Orders → ERP',
  enabled: true,
  contentType: 'api::quotation.quotation',
  events: ['entry.update', 'entry.publish'],
  condition: 'doc.state == "Ordered"',
  url: 'https://erp.example.com/hook',
  dynamicUrl: false,
  method: 'POST',
  bodyType: 'form',
  jsonTemplate: null,
  formFields: [{ field: 'title', key: 'subject' }],
  headers: [
    { name: 'X-Plain', value: 'v', secret: false },
    { name: 'Authorization', value: null, secret: true },
  ],
  hasSecret: true,
  secretRotating: false,
  managed: false,
  disabledReason: null,
  timeoutMs: 4000,
  maxAttempts: 3,
  coalesce: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('fromWebhook → toPayload', () => {
  it('round-trips a saved webhook to the body that keeps it as it is', () => {
    expect(toPayload(fromWebhook(WEBHOOK), null)).toEqual({
      name: 'Orders → ERP',
      enabled: true,
      contentType: 'api::quotation.quotation',
      events: ['entry.update', 'entry.publish'],
      condition: 'doc.state == "Ordered"',
      url: 'https://erp.example.com/hook',
      dynamicUrl: false,
      method: 'POST',
      bodyType: 'form',
      jsonTemplate: null,
      formFields: [{ field: 'title', key: 'subject' }],
      // The stored secret header value is kept: null, never ''.
      headers: [
        { name: 'X-Plain', value: 'v', secret: false },
        { name: 'Authorization', value: null, secret: true },
      ],
      timeoutMs: 4000,
      maxAttempts: 3,
      coalesce: null,
    });
  });

  it.each<
    [
      string,
      Webhook['coalesce'],
      Record<string, unknown>,
      Webhook['coalesce'] | Record<string, unknown>,
    ]
  >([
    ['off', null, { coalesceBy: 'off', maxWaitSeconds: null }, null],
    [
      'per document, default maximum wait: left out, so it follows the window',
      { by: 'document', windowSeconds: 30, maxWaitSeconds: 300 },
      { coalesceBy: 'document', windowSeconds: 30, maxWaitSeconds: null },
      { by: 'document', windowSeconds: 30 },
    ],
    [
      'per webhook, own maximum wait: kept',
      { by: 'webhook', windowSeconds: 5, maxWaitSeconds: 120 },
      { coalesceBy: 'webhook', windowSeconds: 5, maxWaitSeconds: 120 },
      { by: 'webhook', windowSeconds: 5, maxWaitSeconds: 120 },
    ],
  ])('bursts: %s', (_name, coalesce, values, payload) => {
    const v = fromWebhook({ ...WEBHOOK, coalesce });
    expect(v).toMatchObject(values);
    expect(toPayload(v, null).coalesce).toEqual(payload);
  });

  it('bursts switched off in the form send null, whatever the window fields hold', () => {
    const v = {
      ...fromWebhook({
        ...WEBHOOK,
        coalesce: { by: 'document', windowSeconds: 30, maxWaitSeconds: 300 },
      }),
      coalesceBy: 'off' as const,
    };
    expect(toPayload(v, null).coalesce).toBeNull();
  });

  it.each<[string, SecretChange, Record<string, unknown>]>([
    ['no change: no secret key (the stored one is kept)', null, {}],
    ['set', { kind: 'set', value: 'whsec_a' }, { secret: 'whsec_a' }],
    ['generated', { kind: 'generated', value: 'whsec_b' }, { secret: 'whsec_b' }],
    ['remove', { kind: 'remove' }, { secret: null }],
  ])('secret %s', (_name, change, expected) => {
    const payload = toPayload(fromWebhook(WEBHOOK), change);
    expect('secret' in payload).toBe('secret' in expected);
    if ('secret' in expected) expect(payload.secret).toBe(expected.secret);
  });

  it.each([
    [
      'blank condition and template are null',
      { condition: '  ', jsonTemplate: '\n' },
      { condition: null, jsonTemplate: null },
    ],
    [
      'text is sent as typed',
      { condition: 'doc.a', jsonTemplate: '{}' },
      { condition: 'doc.a', jsonTemplate: '{}' },
    ],
  ])('%s', (_name, change, expected) => {
    const payload = toPayload({ ...emptyValues(), ...change }, null);
    expect({ condition: payload.condition, jsonTemplate: payload.jsonTemplate }).toEqual(expected);
  });

  it.each<[string, Partial<HeaderRow>, string | null]>([
    ['stored secret left empty: kept (null)', { secret: true, stored: true, value: '' }, null],
    ['stored secret retyped: replaced', { secret: true, stored: true, value: 'new' }, 'new'],
    ['new secret header: its value', { secret: true, stored: false, value: 'x' }, 'x'],
    ['plain header with no value: empty string', { secret: false, stored: false, value: null }, ''],
  ])('header value: %s', (_name, row, value) => {
    const headers = [{ ...emptyHeader(), name: 'H', ...row }];
    expect(toPayload({ ...emptyValues(), headers }, null).headers).toEqual([
      { name: 'H', value, secret: row.secret },
    ]);
  });

  it('sends no row keys', () => {
    const payload = toPayload(
      { ...emptyValues(), headers: [emptyHeader()], formFields: [emptyFormField()] },
      null
    );
    expect(payload.headers[0]).not.toHaveProperty('id');
    expect(payload.formFields[0]).toEqual({ field: '', key: '' });
  });
});

describe('row keys', () => {
  it('are unique, also across loads of the same webhook', () => {
    const ids = [
      ...fromWebhook(WEBHOOK).headers,
      ...fromWebhook(WEBHOOK).headers,
      emptyHeader(),
      emptyFormField(),
    ].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('isDirty', () => {
  const initial = fromWebhook(WEBHOOK);
  it.each([
    ['the same webhook loaded again (new row keys)', fromWebhook(WEBHOOK), null, false],
    ['a changed name', { ...initial, name: 'x' }, null, true],
    ['a header removed', { ...initial, headers: initial.headers.slice(1) }, null, true],
    ['the same rows in a new list', { ...initial, headers: [...initial.headers] }, null, false],
    ['only a secret change', initial, { kind: 'remove' } as SecretChange, true],
  ])('%s → %s', (_name, values, secret, dirty) => {
    expect(isDirty(values, initial, secret)).toBe(dirty);
  });
});

describe('toggleEvent', () => {
  it.each([
    [
      'checked: kept in the order of EVENTS',
      ['entry.publish'],
      'entry.create',
      true,
      ['entry.create', 'entry.publish'],
    ],
    ['unchecked', ['entry.create', 'entry.publish'], 'entry.create', false, ['entry.publish']],
    ['checked twice: once', ['entry.create'], 'entry.create', true, ['entry.create']],
  ] as const)('%s', (_name, events, event, checked, expected) => {
    expect(toggleEvent(events, event, checked)).toEqual(expected);
  });
});

describe('header and form-field rows', () => {
  const stored: HeaderRow = { id: 'r', name: 'A', value: null, secret: true, stored: true };
  it.each<[string, HeaderRow, boolean, Partial<HeaderRow>]>([
    [
      'unticking a kept secret asks for a plain value',
      stored,
      false,
      { secret: false, stored: false, value: '' },
    ],
    [
      'ticking again does not bring the stored value back',
      { ...stored, secret: false, stored: false, value: '' },
      true,
      { secret: true, stored: false, value: '' },
    ],
    [
      'a typed value survives both ways',
      { ...stored, value: 'typed' },
      false,
      { secret: false, stored: false, value: 'typed' },
    ],
  ])('%s', (_name, row, secret, expected) => {
    expect(setHeaderSecret(row, secret)).toEqual({ ...row, ...expected });
  });

  it.each([
    ['an empty key takes the field name', '', 'title', 'title'],
    ['a typed key is kept', 'subject', 'title', 'subject'],
  ])('pickFormField: %s', (_name, key, field, expected) => {
    expect(pickFormField({ id: 'f', field: '', key }, field)).toEqual({
      id: 'f',
      field,
      key: expected,
    });
  });

  it('fieldChoices: documentId, id and the attributes, once each', () => {
    const ct = {
      uid: 'api::a.a',
      displayName: 'A',
      kind: 'collectionType',
      draftAndPublish: false,
      localized: false,
      attributes: [
        { name: 'id', type: 'integer' },
        { name: 'title', type: 'string' },
      ],
    };
    expect(fieldChoices(ct)).toEqual(['documentId', 'id', 'title']);
    expect(fieldChoices(undefined)).toEqual(['documentId', 'id']);
  });
});

describe('server errors', () => {
  it('maps a 400 by path, first message per path; those without a path apart', () => {
    const mapped = mapServerErrors([
      { path: ['name'], message: 'name is required' },
      { path: ['headers', 1, 'value'], message: 'first' },
      { path: ['headers', 1, 'value'], message: 'second' },
      { path: [], message: 'too many webhooks' },
    ]);
    expect(mapped).toEqual({
      fields: { name: 'name is required', 'headers.1.value': 'first' },
      other: ['too many webhooks'],
    });
  });

  it.each([
    [
      'the field and its rows',
      'headers',
      ['coalesce.by', 'coalesce.windowSeconds', 'name', 'nameX'],
    ],
    [
      'not a field that only shares the prefix',
      'name',
      ['coalesce.by', 'coalesce.windowSeconds', 'headers', 'headers.0.name', 'nameX'],
    ],
    [
      'bursts: the window field clears its own error',
      'windowSeconds',
      ['coalesce.by', 'headers', 'headers.0.name', 'name', 'nameX'],
    ],
    [
      'bursts: the mode clears every coalesce error',
      'coalesceBy',
      ['headers', 'headers.0.name', 'name', 'nameX'],
    ],
  ])('clearFieldErrors: %s', (_name, field, left) => {
    const errors = {
      name: 'a',
      nameX: 'b',
      headers: 'c',
      'headers.0.name': 'd',
      'coalesce.by': 'e',
      'coalesce.windowSeconds': 'f',
    };
    expect(Object.keys(clearFieldErrors(errors, field)).sort()).toEqual(left);
  });

  it.each([
    ['a field the form shows: none', { url: 'bad' }, 'default', []],
    ['a field the form has no input for', { secretHeader: 'x' }, 'default', ['secretHeader: x']],
    [
      'the template while another body type is chosen',
      { jsonTemplate: 'bad' },
      'form',
      ['jsonTemplate: bad'],
    ],
    ['the template while JSON is chosen: none', { jsonTemplate: 'bad' }, 'json', []],
    [
      'a form field row while JSON is chosen',
      { 'formFields.0.key': 'dup' },
      'json',
      ['formFields.0.key: dup'],
    ],
  ] as const)('strayErrors: %s', (_name, errors, bodyType, expected) => {
    expect(strayErrors(errors, bodyType)).toEqual(expected);
  });
});
