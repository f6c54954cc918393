import { Layouts, Page, useRBAC } from '@strapi/strapi/admin';
import { useSearchParams } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import { LogTable } from '../components/LogTable';
import { useT } from '../utils/useT';

/** Settings › Document webhooks › Request log: every delivery of every webhook. */
const LogsPage = () => {
  const { t } = useT();
  const [params] = useSearchParams();
  const { isLoading, allowedActions } = useRBAC(PERMISSIONS.logs);
  const initial = Number(params.get('log'));
  return (
    <Page.Protect permissions={PERMISSIONS.logsRead}>
      {isLoading ? (
        <Page.Loading />
      ) : (
        <Page.Main>
          <Page.Title>{t('logs.pageTitle')}</Page.Title>
          <Layouts.Header title={t('logs.title')} subtitle={t('logs.subtitle')} />
          <Layouts.Content>
            <LogTable
              canRetry={Boolean(allowedActions.canRetry)}
              initialLogId={Number.isInteger(initial) && initial > 0 ? initial : null}
            />
          </Layouts.Content>
        </Page.Main>
      )}
    </Page.Protect>
  );
};

export default LogsPage;
