// 登录与用户管理接口 login and user administration API: log in and out, who am I, change one's own password; the admin
// creates, lists, edits and disables users and sets their passwords. Password hashes never leave the store.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES, type Role } from '../cases/ports.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import type { LoginClient, LoginResult, SessionService } from '../auth/sessions.js';
import { ADMIN_TOKEN_USER_ID, USER_LIMITS, UserError, type User, type UserStore } from '../auth/users.js';
import { actorOf, requireRoles, type Authenticator } from './guard.js';
import {
  errorsMember,
  handleDomainErrors,
  problemResponses,
  problemSchema,
  sendProblem,
  type ProblemTable,
} from './problem.js';
import { useStrictValidation } from './validation.js';

export interface AuthRoutesOptions {
  users: UserStore;
  sessions: SessionService;
  /** Usually `sessions` itself; any Authenticator works for the guards. */
  auth: Authenticator;
}

const tags = ['auth'];

const Nullable = <T>(type: 'string' | 'integer', extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...extra });

const RoleSchema = Type.Unsafe<Role>({
  type: 'string',
  enum: [...ROLES],
  description:
    'collector 监督员, acceptor 受理员, shiftLeader 值班长, dispatcher 派遣员, department 专业部门, leader 领导, ' +
    'admin 系统管理员, auditor 审计员',
});
const RolesSchema = Type.Array(RoleSchema, { minItems: 1, maxItems: ROLES.length * 2 });
const UserIdSchema = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'User id' });
const PasswordSchema = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: `At least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_LENGTH}), not the username`,
});
const DepartmentIdSchema = Nullable<string>('string', {
  maxLength: USER_LIMITS.departmentId,
  description: 'The department (专业部门) the user belongs to; required with the role department',
});

const editable = {
  name: Type.String({ minLength: 1, maxLength: USER_LIMITS.name, description: 'Display name' }),
  roles: RolesSchema,
  departmentId: DepartmentIdSchema,
  staffId: Nullable<string>('string', { maxLength: USER_LIMITS.staffId, description: 'Staff number (工号)' }),
  phone: Nullable<string>('string', { maxLength: USER_LIMITS.phone }),
  enabled: Type.Boolean({ description: 'A disabled user cannot log in; disabling ends their sessions' }),
};

const CreateBody = Type.Object(
  {
    id: Type.Optional(UserIdSchema),
    username: Type.String({
      minLength: 2,
      maxLength: 64,
      description: 'Login name: letters, digits, . _ @ -; unique regardless of case',
    }),
    password: PasswordSchema,
    name: editable.name,
    roles: editable.roles,
    departmentId: Type.Optional(editable.departmentId),
    staffId: Type.Optional(editable.staffId),
    phone: Type.Optional(editable.phone),
    enabled: Type.Optional(editable.enabled),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Partial(Type.Object(editable, { additionalProperties: false }));

const DateTime = Type.String({ format: 'date-time' });
const UserSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    name: Type.String(),
    roles: Type.Array(RoleSchema),
    departmentId: Nullable<string>('string'),
    staffId: Nullable<string>('string'),
    phone: Nullable<string>('string'),
    enabled: Type.Boolean(),
    passwordChangedAt: DateTime,
    createdAt: DateTime,
    updatedAt: DateTime,
    lastLoginAt: Nullable<string>('string', { format: 'date-time' }),
  },
  { additionalProperties: false },
);
const SessionUserSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    name: Type.String(),
    roles: Type.Array(RoleSchema),
    departmentId: Nullable<string>('string'),
  },
  { additionalProperties: false },
);
const SessionSchema = Type.Object(
  {
    token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
    expiresAt: Type.String({
      format: 'date-time',
      description: 'The latest the session can last; it ends sooner when unused for the idle timeout',
    }),
    user: SessionUserSchema,
  },
  { additionalProperties: false },
);
const MeSchema = Type.Object(
  {
    id: Type.String(),
    username: Nullable<string>('string', { description: 'null for the admin service token' }),
    name: Type.String(),
    roles: Type.Array(RoleSchema),
    departmentId: Nullable<string>('string'),
    expiresAt: Nullable<string>('string', { format: 'date-time' }),
  },
  { additionalProperties: false },
);

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);
const OwnPasswordBody = Type.Object(
  { current: Type.String({ maxLength: 1024 }), new: PasswordSchema },
  { additionalProperties: false },
);
const SetPasswordBody = Type.Object({ password: PasswordSchema }, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: USER_LIMITS.departmentId })),
    enabled: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'Substring of username, name or staff id' })),
    limit: Type.Integer({ minimum: 1, maximum: USER_LIMITS.pageSize, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: UserIdSchema });

const problems = problemResponses(
  problemSchema(Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: false })),
);

const userDto = (u: User) => ({
  ...u,
  passwordChangedAt: u.passwordChangedAt.toISOString(),
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
  lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
});

const PROBLEM_OF: ProblemTable<UserError> = {
  UserNotFound: { status: 404, type: 'urn:cityhub:problem:user-not-found', title: 'Not Found' },
  UserExists: { status: 409, type: 'urn:cityhub:problem:user-exists', title: 'Conflict' },
  InvalidUser: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
  InvalidQuery: { status: 400, type: 'urn:cityhub:problem:validation', title: 'Bad Request' },
};

const client = (request: FastifyRequest): LoginClient => ({
  address: request.ip,
  userAgent: request.headers['user-agent'],
});

// Tokens are in these answers: no cache may keep them.
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

function sessionAnswer(result: Extract<LoginResult, { ok: true }>) {
  const { id, username, name, roles, departmentId } = result.user;
  return {
    token: result.token,
    expiresAt: result.expiresAt.toISOString(),
    user: { id, username, name, roles, departmentId },
  };
}

function throttled(request: FastifyRequest, reply: FastifyReply, retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return sendProblem(reply.header('retry-after', String(seconds)), {
    type: 'urn:cityhub:problem:too-many-login-attempts',
    title: 'Too Many Requests',
    status: 429,
    detail: `too many failed attempts; try again in ${seconds} s`,
    instance: request.url,
    retryAfterS: seconds,
  });
}

export async function authRoutes(app: FastifyInstance, opts: AuthRoutesOptions): Promise<void> {
  const { users, sessions, auth } = opts;
  const admin = requireRoles(auth, ['admin']);
  const anyone = requireRoles(auth);

  useStrictValidation(app);
  handleDomainErrors(app, [UserError], PROBLEM_OF, (error) => errorsMember(error.issues));

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      schema: {
        summary: 'Log in with username and password; the answer holds the session token',
        description:
          'Repeated failures for one username or from one address make further attempts wait (429 with Retry-After).',
        tags,
        body: LoginBody,
        response: { 200: SessionSchema, ...problems(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const result = await sessions.login(request.body.username, request.body.password, client(request));
      if (result.ok) return noStore(reply).send(sessionAnswer(result));
      if (result.reason === 'throttled') return throttled(request, reply, result.retryAfterMs);
      return sendProblem(reply, {
        type: 'urn:cityhub:problem:invalid-credentials',
        title: 'Unauthorized',
        status: 401,
        // The same words for an unknown user, a wrong password and a disabled user: they reveal nothing.
        detail: 'wrong username or password',
        instance: request.url,
      });
    },
  );

  app.post(
    '/api/auth/logout',
    {
      onRequest: anyone,
      schema: { summary: 'End this session', tags, response: { 204: Type.Null(), ...problems(401) } },
    },
    async (request, reply) => {
      await sessions.logout(request.headers.authorization);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: anyone,
      schema: { summary: 'Who this token belongs to', tags, response: { 200: MeSchema, ...problems(401) } },
    },
    async (request) => {
      const actor = actorOf(request);
      const session = await sessions.session(request.headers.authorization);
      const username = actor.userId === ADMIN_TOKEN_USER_ID ? null : (await users.get(actor.userId)).username;
      return {
        id: actor.userId,
        username,
        name: actor.name,
        roles: actor.roles,
        departmentId: actor.departmentId,
        expiresAt: session?.expiresAt?.toISOString() ?? null,
      };
    },
  );

  app.post<{ Body: Static<typeof OwnPasswordBody> }>(
    '/api/auth/password',
    {
      onRequest: anyone,
      schema: {
        summary: 'Change your own password; every session of yours ends and the answer holds a new one',
        tags,
        body: OwnPasswordBody,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.userId === ADMIN_TOKEN_USER_ID) {
        return sendProblem(reply, {
          type: 'urn:cityhub:problem:not-a-user',
          title: 'Forbidden',
          status: 403,
          detail: 'the admin token is not a user account and has no password; it is set by ADMIN_TOKEN',
          instance: request.url,
        });
      }
      const result = await sessions.changeOwnPassword(
        actor.userId,
        request.body.current,
        request.body.new,
        client(request),
      );
      if (result.ok) return noStore(reply).send(sessionAnswer(result));
      if (result.reason === 'throttled') return throttled(request, reply, result.retryAfterMs);
      return sendProblem(reply, {
        type: 'urn:cityhub:problem:wrong-password',
        title: 'Forbidden',
        status: 403,
        detail: 'the current password is wrong',
        instance: request.url,
      });
    },
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/users',
    {
      onRequest: admin,
      schema: {
        summary: 'Create a user with a password the admin sets (admin)',
        tags,
        body: CreateBody,
        response: { 201: UserSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(userDto(await users.create(request.body))),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/users',
    {
      onRequest: admin,
      schema: {
        summary: 'List users, filtered and paged, ordered by username (admin)',
        tags,
        querystring: ListQuery,
        response: {
          200: Type.Object(
            { items: Type.Array(UserSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
            { additionalProperties: false },
          ),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, offset, department, ...rest } = request.query;
      const page = await users.list({ ...rest, departmentId: department }, { limit, offset });
      return { ...page, items: page.items.map(userDto) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/users/:id',
    {
      onRequest: admin,
      schema: {
        summary: 'One user (admin)',
        tags,
        params: IdParams,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => userDto(await users.get(request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/users/:id',
    {
      onRequest: admin,
      schema: {
        summary: 'Change a user’s name, roles, department, staff id, phone or enabled (admin); null clears',
        description: 'Disabling a user ends their sessions at once.',
        tags,
        params: IdParams,
        body: PatchBody,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => userDto(await users.update(request.params.id, request.body)),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof SetPasswordBody> }>(
    '/api/users/:id/password',
    {
      onRequest: admin,
      schema: {
        summary: 'Set a user’s password (admin); their sessions end',
        tags,
        params: IdParams,
        body: SetPasswordBody,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await users.setPassword(request.params.id, request.body.password);
      return reply.code(204).send();
    },
  );
}
