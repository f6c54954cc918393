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
  const dirtyRef = React.useRef(dirty);
  dirtyRef.current = dirty;
  const skip = React.useRef(false);
  React.useEffect(() => {
    skip.current = false;
  }, [page]);

  const blocker = useBlocker(({ currentLocation, nextLocation }) => !skip.current && dirtyRef.current && currentLocation.pathname !== nextLocation.pathname);
  React.useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!dirtyRef.current) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  const allowLeave = React.useCallback(() => {
    skip.current = true;
  }, []);
  return { blocker, allowLeave };
}

export const LeaveDialog = ({ blocker }: { blocker: Blocker }) => {
  const { t } = useT();
  const blocked = blocker.state === 'blocked';
  return (
    <Dialog.Root open={blocked} onOpenChange={(open) => !open && blocker.state === 'blocked' && blocker.reset()}>
      <ConfirmDialog variant="danger" title={t('form.leave.title')} onConfirm={() => { if (blocker.state === 'blocked') blocker.proceed(); }} onCancel={() => { if (blocker.state === 'blocked') blocker.reset(); }}>
        {t('form.leave.body')}
      </ConfirmDialog>
    </Dialog.Root>
  );
};
