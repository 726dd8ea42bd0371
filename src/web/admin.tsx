import { AdminFailedMail, AdminMailboxes } from './admin-mail.js';
import { AdminSettings } from './admin-settings.js';
import { AdminTemplates } from './admin-templates.js';
import { AdminUsers } from './admin-users.js';

/** The admin pages; the server refuses their APIs to agents (403) whatever the app shows. */
export function AdminPage(props: { page: 'settings' | 'users' | 'failed' | 'mailboxes' | 'templates' }) {
  switch (props.page) {
    case 'settings':
      return <AdminSettings />;
    case 'users':
      return <AdminUsers />;
    case 'templates':
      return <AdminTemplates />;
    case 'failed':
      return <AdminFailedMail />;
    case 'mailboxes':
      return <AdminMailboxes />;
  }
}
