import * as React from 'react';
import { Dialog } from '@strapi/design-system';
import { ConfirmDialog } from '@strapi/strapi/admin';
import { useBlocker, type Blocker } from 'react-router-dom';
import { useT } from '../../utils/useT';

/**
 * Ask before leaving a form with unsaved changes: in-app navigation (react-router's blocker,
 * answered by <LeaveDialog>) and closing the tab (`beforeunload`). `allowLeave()` lets one
 * navigation through (after a save); the guard re-arms when `page` changes, because the create
 * and edit routes share one mounted form.
 */
export function useLeaveGuard(dirty: boolean, page: unknown) {
  const skip = React.useRef(false);
  React.useEffect(() => {
    skip.current = false;
  }, [page]);

  // react-router takes the new function after each render, so `dirty` is never stale.
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      !skip.current && dirty && currentLocation.pathname !== nextLocation.pathname
  );
  React.useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const allowLeave = React.useCallback(() => {
    skip.current = true;
  }, []);
  return { blocker, allowLeave };
}

export const LeaveDialog = ({ blocker }: { blocker: Blocker }) => {
  const { t } = useT();
  const blocked = blocker.state === 'blocked';
  return (
    <Dialog.Root
      open={blocked}
      onOpenChange={(open) => !open && blocker.state === 'blocked' && blocker.reset()}
    >
      <ConfirmDialog
        variant="danger"
        title={t('form.leave.title')}
        onConfirm={() => {
          if (blocker.state === 'blocked') blocker.proceed();
        }}
        onCancel={() => {
          if (blocker.state === 'blocked') blocker.reset();
        }}
      >
        {t('form.leave.body')}
      </ConfirmDialog>
    </Dialog.Root>
  );
};
