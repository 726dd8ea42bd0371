import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { MAX_PASSWORD_LENGTH } from '../../auth/passwords.js';
import {
  createStaffUser,
  getStaffUser,
  listStaffUsers,
  staffUserToJson,
  updateStaffUser,
} from '../../auth/staff-users.js';
import { IdParams } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Staff users'];
const Role = Type.Union([Type.Literal('agent'), Type.Literal('admin')]);
const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });

export const StaffUserSchema = Type.Object(
  {
    Id: Type.String({ format: 'uuid' }),
    Email: Type.String(),
    Name: Type.String(),
    Role,
    Disabled: Type.Boolean(),
    DisabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    Created: Type.String({ format: 'date-time' }),
    LastSignIn: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'StaffUser' },
);

const Assignee = Type.Object(
  { Id: Type.String({ format: 'uuid' }), Name: Type.String(), Email: Type.String(), Role },
  { title: 'Assignee' },
);

const CreateBody = Type.Object(
  {
    Email: Type.String({ minLength: 3, maxLength: 320 }),
    Name: Type.String({ minLength: 1, maxLength: 200 }),
    Role,
    Password: Type.Optional(Password),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    Name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    Role: Type.Optional(Role),
    Disabled: Type.Optional(Type.Boolean({ description: 'true ends every session of the user at once' })),
    Password: Type.Optional(Password),
  },
  { additionalProperties: false },
);

/** Staff users: managed by admins; the active ones listed for anyone who reads cases (the assignee picker). */
export function staffUserRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/users',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Active staff users (for assigning cases: AssignedToUserId is a user Id). Needs: cases:read',
          operationId: 'listAssignees',
          response: { 200: Type.Array(Assignee), ...errorResponses(403) },
        },
      },
      async () =>
        (await listStaffUsers(ctx.db, { activeOnly: true })).map((u) => ({
          Id: u.id,
          Name: u.name,
          Email: u.email,
          Role: u.role,
        })),
    );

    r.get(
      '/admin/users',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Every staff user, disabled ones too. Needs: admin',
          operationId: 'listStaffUsers',
          response: { 200: Type.Array(StaffUserSchema), ...errorResponses(403) },
        },
      },
      async () => (await listStaffUsers(ctx.db)).map(staffUserToJson),
    );

    r.post(
      '/admin/users',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Create a staff user; without a Password one is generated and returned once. Needs: admin',
          description: 'Emails are unique whatever their letter case (409). Passwords need at least 10 characters.',
          operationId: 'createStaffUser',
          body: CreateBody,
          response: {
            201: Type.Composite([
              StaffUserSchema,
              Type.Object({
                Password: Type.Optional(
                  Type.String({ description: 'The generated password (only when none was sent)' }),
                ),
              }),
            ]),
            ...errorResponses(400, 403, 409),
          },
        },
      },
      async (req, reply) => {
        const { user, password } = await createStaffUser(ctx.db, {
          email: req.body.Email,
          name: req.body.Name,
          role: req.body.Role,
          password: req.body.Password,
        });
        return reply.status(201).send({ ...staffUserToJson(user), ...(password ? { Password: password } : {}) });
      },
    );

    r.get(
      '/admin/users/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'One staff user. Needs: admin',
          operationId: 'getStaffUser',
          params: IdParams,
          response: { 200: StaffUserSchema, ...errorResponses(403, 404) },
        },
      },
      async (req) => staffUserToJson(await getStaffUser(ctx.db, req.params.id)),
    );

    r.put(
      '/admin/users/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Change a staff user (Name, Role, Disabled, Password); disabling ends their sessions. Needs: admin',
          description: 'Fields left out keep their values. A new Password also ends the sessions of the user.',
          operationId: 'updateStaffUser',
          params: IdParams,
          body: UpdateBody,
          response: { 200: StaffUserSchema, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        const existing = await getStaffUser(ctx.db, req.params.id);
        const row = await updateStaffUser(ctx.db, existing.id, {
          name: req.body.Name,
          role: req.body.Role,
          disabled: req.body.Disabled,
          password: req.body.Password,
        });
        return staffUserToJson(row);
      },
    );
  };
}
