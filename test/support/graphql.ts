/** GraphQL over HTTP for tests, with any credentials, and the people fixtures made through it. */
import { testAdminToken } from './grpc.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export type Credentials = { apiKey?: string; bearer?: string; headers?: Record<string, string> };

export const operator: Credentials = { bearer: testAdminToken };

export interface GraphqlAnswer {
  status: number;
  body: Json;
}

export function graphqlAt(baseUrl: string) {
  return async (query: string, variables: object = {}, credentials: Credentials = {}): Promise<GraphqlAnswer> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...credentials.headers };
    if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
    if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`;
    const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as Json };
  };
}

export type Graphql = ReturnType<typeof graphqlAt>;

/** The codes of an answer's errors, in order. */
export const codes = (body: Json): string[] => (body.errors ?? []).map((e: Json) => e.extensions?.code);

/** The answer's data; fails with its errors when there are any. */
export function dataOf(answer: GraphqlAnswer): Json {
  if (answer.body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(answer.body.errors)}`);
  return answer.body.data;
}

export interface TestSession {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; email: string };
  organization: { id: string };
  role: string;
}

const sessionFields = 'accessToken refreshToken expiresAt user { id email name } organization { id name } role';

/** An invitation by the operator, accepted: a new user with a session in the organization. */
export async function invitedUser(graphql: Graphql, organizationId: string, email: string, role: string, password: string): Promise<TestSession> {
  const invited = dataOf(
    await graphql('mutation($o: ID!, $e: String!, $r: Role!) { inviteUser(organizationId: $o, email: $e, role: $r) { token } }', { o: organizationId, e: email, r: role }, operator),
  );
  const accepted = dataOf(
    await graphql(`mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { ${sessionFields} } }`, { t: invited.inviteUser.token, p: password }),
  );
  return accepted.acceptInvitation;
}

export async function signIn(graphql: Graphql, email: string, password: string, organizationId?: string, credentials: Credentials = {}): Promise<GraphqlAnswer> {
  return graphql(`mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, organizationId: $o) { ${sessionFields} } }`, { e: email, p: password, o: organizationId }, credentials);
}

export async function refresh(graphql: Graphql, refreshToken: string, organizationId?: string): Promise<GraphqlAnswer> {
  return graphql(`mutation($t: String!, $o: ID) { refreshSession(refreshToken: $t, organizationId: $o) { ${sessionFields} } }`, { t: refreshToken, o: organizationId });
}
