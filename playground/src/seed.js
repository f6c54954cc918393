/** Demo data: created once, on an empty database. */
const ADMIN = {
  email: process.env.DEMO_ADMIN_EMAIL || 'admin@example.com',
  password: process.env.DEMO_ADMIN_PASSWORD || 'Admin1234!',
};

const QUOTATIONS = [
  {
    customer: 'Acme Corp',
    title: 'Website redesign',
    state: 'Open',
    grandTotal: 12500,
    validUntil: '2026-12-31',
    items: [
      { item: 'Design', qty: 10, rate: 650 },
      { item: 'Development', qty: 10, rate: 600 },
    ],
  },
  {
    customer: 'Dupont & Fils',
    title: 'Maintenance 2027',
    state: 'Draft',
    grandTotal: 4800,
    validUntil: '2027-01-15',
    items: [{ item: 'Support hours', qty: 48, rate: 100 }],
  },
  {
    customer: 'Globex',
    title: 'Training day',
    state: 'Ordered',
    grandTotal: 1500,
    validUntil: '2026-12-10',
    items: [{ item: 'Training', qty: 1, rate: 1500 }],
  },
];

const ARTICLES = [
  {
    title: 'Webhooks for every document',
    summary: 'How document webhooks notify your ERP.',
    body: 'Pick a content type, an event and a URL.',
    seo: {
      metaTitle: 'Document webhooks',
      social: { network: 'Mastodon', title: 'Webhooks for every document' },
    },
    blocks: [
      {
        __component: 'blocks.quote',
        text: 'Send the document, not just its id.',
        source: { network: 'LinkedIn', title: 'A receiver' },
      },
      { __component: 'blocks.text', body: 'Conditions decide which changes are sent.' },
    ],
    fr: {
      title: 'Des webhooks pour chaque document',
      summary: 'Comment les webhooks préviennent votre ERP.',
    },
  },
  {
    title: 'From Dokos to Strapi',
    summary: 'Porting Jinja templates to Nunjucks.',
    body: 'Same syntax, same data.',
  },
];

const SAMPLE_TEMPLATE = `{
  "quotation": {{ doc.documentId | dump }},
  "customer": {{ doc.customer | dump }},
  "state": {{ doc.state | dump }},
  "previousState": {{ (previous.state if previous else null) | dump }},
  "total": {{ doc.grandTotal }},
  "event": {{ event | dump }}
}`;

async function seedDemo(strapi) {
  const userService = strapi.service('admin::user');
  if ((await strapi.db.query('admin::user').count()) === 0) {
    const superAdmin = await strapi.service('admin::role').getSuperAdmin();
    await userService.create({
      ...ADMIN,
      firstname: 'Demo',
      lastname: 'Admin',
      isActive: true,
      roles: [superAdmin.id],
    });
    strapi.log.info(`[demo] admin user created: ${ADMIN.email} / ${ADMIN.password}`);
  }

  const webhooks = strapi.plugin('document-webhooks').service('webhooks');
  const receiver = process.env.DEMO_RECEIVER_URL || 'http://127.0.0.1:4000/hooks/quotation';
  // Webhooks declared in the plugin config (managed) do not count: the sample is the admin's.
  if (!(await webhooks.list()).some((w) => !w.managed)) {
    await webhooks.create({
      name: 'Quotation status → ERP (demo receiver)',
      contentType: 'api::quotation.quotation',
      events: ['entry.create', 'entry.update', 'entry.publish'],
      condition: 'previous == null || doc.state != previous.state',
      url: receiver,
      bodyType: 'json',
      jsonTemplate: SAMPLE_TEMPLATE,
      headers: [{ name: 'X-Demo', value: 'document-webhooks', secret: false }],
    });
    strapi.log.info(`[demo] sample webhook created → ${receiver}`);
  }

  if ((await strapi.documents('api::quotation.quotation').count()) === 0) {
    for (const data of QUOTATIONS)
      await strapi.documents('api::quotation.quotation').create({ data });
    const author = await strapi
      .documents('api::author.author')
      .create({ data: { name: 'Ada Demo', bio: 'Writes about integrations.' } });
    for (const { fr, ...data } of ARTICLES) {
      const blocks = (data.blocks ?? []).map((b) =>
        b.__component === 'blocks.quote' ? { ...b, author: author.documentId } : b
      );
      const article = await strapi
        .documents('api::article.article')
        .create({ data: { ...data, blocks, author: author.documentId }, status: 'published' });
      // The French translation: an update in a locale the document does not have yet creates it.
      if (fr)
        await strapi
          .documents('api::article.article')
          .update({ documentId: article.documentId, locale: 'fr', data: fr, status: 'published' });
    }
  }
}

module.exports = { seedDemo, ADMIN };
