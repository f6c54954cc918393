import { Badge } from '@strapi/design-system';
import { useT } from '../utils/useT';

const VARIANT: Record<string, 'success' | 'warning' | 'danger' | 'secondary' | 'neutral'> = {
  delivered: 'success',
  failed: 'warning',
  exhausted: 'danger',
  pending: 'secondary',
};

/** A delivery status ("delivered", "failed"…) as a coloured, translated badge. */
export const StatusBadge = ({ status }: { status: string | null | undefined }) => {
  const { t } = useT();
  if (!status) return <Badge variant="neutral">{t('status.none')}</Badge>;
  return <Badge variant={VARIANT[status] ?? 'neutral'}>{t(`status.${status}`)}</Badge>;
};
