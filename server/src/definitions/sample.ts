/**
 * A plausible document for a content type, built from its attribute types, so that JSON
 * templates can be rendered on save before any real document exists.
 */
type Attribute = {
  type: string;
  enum?: string[];
  component?: string;
  repeatable?: boolean;
  components?: string[];
  private?: boolean;
};

const sampleValue = (name: string, attr: Attribute): unknown => {
  switch (attr.type) {
    case 'string':
    case 'text':
    case 'richtext':
    case 'email':
    case 'uid':
    case 'password':
      return `sample ${name}`;
    case 'blocks':
      return [{ type: 'paragraph', children: [{ type: 'text', text: `sample ${name}` }] }];
    case 'integer':
    case 'biginteger':
      return 1;
    case 'decimal':
    case 'float':
      return 1.5;
    case 'boolean':
      return true;
    case 'date':
      return '2026-01-01';
    case 'time':
      return '12:00:00.000';
    case 'datetime':
    case 'timestamp':
      return '2026-01-01T12:00:00.000Z';
    case 'enumeration':
      return attr.enum?.[0] ?? null;
    case 'json':
      return {};
    case 'component':
      return attr.repeatable ? [] : {};
    case 'dynamiczone':
      return [];
    case 'media':
    case 'relation':
    default:
      return null;
  }
};

export function sampleDocument(attributes: Record<string, Attribute>): Record<string, unknown> {
  const doc: Record<string, unknown> = { id: 1, documentId: 'sampledocumentid000000000' };
  for (const [name, attr] of Object.entries(attributes)) {
    // Private attributes (a user's password and tokens) are never in a snapshot.
    if (name in doc || attr.private || attr.type === 'password') continue;
    doc[name] = sampleValue(name, attr);
  }
  return doc;
}
