import type { Core } from '@strapi/strapi';
import { ForbiddenError } from '../errors';
import type { ContentAccess } from '../services/delivery';

/** Whether a field path (`items.qty`) reaches the snapshot: the output sanitizer drops private and password attributes. */
function shown(strapi: Core.Strapi, uid: string, path: string): boolean {
  let model = strapi.getModel(uid as any) as any;
  for (const segment of path.split('.')) {
    const attr = model?.attributes?.[segment];
    if (!attr || attr.private || attr.type === 'password') return false;
    model = attr.type === 'component' ? strapi.getModel(attr.component) : null;
  }
  return true;
}

/**
 * What an admin may read of a document, asked of Strapi's own Content Manager permission
 * checker (the one its `GET /content-manager/collection-types/:uid/:id` uses), so role
 * conditions, i18n locale restrictions and field permissions apply to previews and tests as
 * they do in the Content Manager (docs/security.md, "Preview and test of a real document").
 */
export function contentManagerAccess(strapi: Core.Strapi, userAbility: unknown): ContentAccess {
  return {
    async assertCanRead(uid, version) {
      const checker = userAbility
        ? (strapi.plugin('content-manager')?.service('permission-checker') as any)?.create({
            userAbility,
            model: uid,
          })
        : null;
      const denied = `Forbidden: reading documents of ${uid} needs the Content Manager read permission`;
      if (!checker || checker.cannot.read()) throw new ForbiddenError(denied);
      if (!version) return;
      // Conditions (e.g. "is creator") are tested on the stored row with its creator, as the Content Manager does.
      const subject = checker.requiresEntity.read()
        ? ((await strapi.db
            .query(uid as any)
            .findOne({ where: { id: version.id }, populate: ['createdBy', 'updatedBy'] })) ??
          version)
        : version;
      if (checker.cannot.read(subject)) {
        throw new ForbiddenError(
          `${denied} on this document${subject.locale ? ` (locale "${String(subject.locale)}")` : ''}`
        );
      }
      // A preview or test shows the whole document: every field it shows must be readable.
      const fields: string[] = strapi
        .service('admin::content-type')
        .getNestedFields(strapi.contentTypes[uid as keyof typeof strapi.contentTypes], {
          components: strapi.components,
        });
      const hidden = fields.filter((f) => shown(strapi, uid, f) && checker.cannot.read(subject, f));
      if (hidden.length)
        throw new ForbiddenError(`${denied} on every field (not readable: ${hidden.join(', ')})`);
    },
  };
}
