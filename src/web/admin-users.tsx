import { useEffect, useState } from 'preact/hooks';
import { get, post, put } from './api.js';
import type { User } from './types.js';

export function AdminUsers() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [message, setMessage] = useState('');
  const load = () =>
    get<User[] | { Items: User[] }>('/api/admin/users')
      .then((u) => setUsers(Array.isArray(u) ? u : u.Items))
      .catch((err: Error) => setMessage(err.message));
  useEffect(() => void load(), []);

  async function create(e: Event) {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const body: Record<string, unknown> = {
      Email: String(form.get('email')),
      Name: String(form.get('name')),
      Role: String(form.get('role')),
    };
    if (form.get('password')) body.Password = String(form.get('password'));
    try {
      const created = await post<User & { Password?: string }>('/api/admin/users', body);
      setMessage(
        created.Password
          ? `${created.Name} can sign in with the password ${created.Password} (shown only now).`
          : `${created.Name} was added.`,
      );
      formEl.reset();
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  }

  async function change(user: User, fields: Record<string, unknown>) {
    try {
      await put(`/api/admin/users/${encodeURIComponent(user.Id)}`, fields);
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  }

  const disabled = (u: User) => Boolean(u.Disabled ?? u.DisabledAt);
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {message && <p role="status">{message}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {users?.map((u) => (
            <tr>
              <td>{u.Name}</td>
              <td>{u.Email}</td>
              <td>
                <select
                  aria-label={`Role of ${u.Name}`}
                  value={u.Role}
                  onChange={(e) => change(u, { Role: e.currentTarget.value })}
                >
                  <option value="agent">agent</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td>{disabled(u) ? 'Disabled' : 'Active'}</td>
              <td>
                <button type="button" onClick={() => change(u, { Disabled: !disabled(u) })}>
                  {disabled(u) ? `Enable ${u.Name}` : `Disable ${u.Name}`}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Add a user</h2>
      <form class="form-page" onSubmit={create}>
        <label>
          Email
          <input name="email" type="email" required />
        </label>
        <label>
          Name
          <input name="name" required />
        </label>
        <label>
          Role
          <select name="role">
            <option value="agent">agent</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Password (empty: one is made)
          <input name="password" type="password" autoComplete="new-password" minLength={10} />
        </label>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
    </section>
  );
}
