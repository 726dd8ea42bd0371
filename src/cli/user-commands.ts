/** `intake user create|list|disable`: staff users who sign in to the app. */
import { parseArgs } from 'node:util';
import { createStaffUser, disableStaffUser, listStaffUsers } from '../auth/staff-users.js';
import { withDb } from './core-commands.js';
import { registerCommand, USAGE } from './registry.js';

registerCommand('user', async (args) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (sub === 'create') {
    const { user, password } = await withDb((db) =>
      createStaffUser(db, {
        email: values.email ?? '',
        name: values.name ?? '',
        role: values.role ?? '',
        password: values.password,
      }),
    );
    console.log(`created ${user.role} ${user.email} (id ${user.id})`);
    // Generated passwords go to stdout alone on their line, so a script can take them; shown once, never stored.
    if (password) {
      console.log(password);
      console.error('the password above was generated; hand it over now, it cannot be shown again');
    }
    return 0;
  }
  if (sub === 'list') {
    const users = await withDb((db) => listStaffUsers(db));
    for (const u of users)
      console.log(`${u.id}  ${u.role.padEnd(5)}  ${u.email}  ${u.name}${u.disabled_at ? '  (disabled)' : ''}`);
    return 0;
  }
  const target = positionals[0] ?? values.email;
  if (sub === 'disable' && target) {
    const user = await withDb((db) => disableStaffUser(db, target));
    console.log(`disabled ${user.email}; their sessions have ended`);
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
});
