import { Page } from '@strapi/strapi/admin';
import { Route, Routes } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import { ListPage } from './ListPage';
import { EditPage } from './EditPage';

/** Settings › Document webhooks › Webhooks: the list, the create form and the edit form. */
const WebhooksApp = () => (
  <Page.Protect permissions={PERMISSIONS.read}>
    <Routes>
      <Route index element={<ListPage />} />
      <Route path="create" element={<EditPage />} />
      <Route path=":id" element={<EditPage />} />
    </Routes>
  </Page.Protect>
);

export default WebhooksApp;
