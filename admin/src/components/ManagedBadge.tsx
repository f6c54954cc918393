import { Badge, Tooltip } from '@strapi/design-system';
import { useT } from '../utils/useT';

/** "Managed in code": the webhook is declared in the plugin config and read-only here (docs/admin.md). */
export const ManagedBadge = () => {
  const { t } = useT();
  return (
    <Tooltip label={t('managed.tooltip')}>
      <Badge variant="secondary" size="S">
        {t('managed.badge')}
      </Badge>
    </Tooltip>
  );
};
