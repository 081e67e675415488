import { randomUUID } from 'node:crypto';
import type { CloudAssemblyModel, RoleModel } from '../../assembly/model.js';
import { AwsError, type ErrorShape } from '../../aws-error.js';
import type { LocalRequest, LocalResponse } from '../../http.js';
import { authorize, denialSuffix } from '../../iam/authorize.js';
import { requestContext } from '../../iam/context-keys.js';
import { type Identity, roleSession } from '../../iam/identities.js';
import { type ReceivedRequest, verifySignature } from '../../sigv4/verify.js';
import type { ServiceContext } from '../context.js';

/** What STS needs besides the common context: the app (its roles, region, policies), and where sessions go. */
export interface StsContext extends ServiceContext {
  model: CloudAssemblyModel;
  /** Registers a session STS issued (its credentials work from then on); returns it. */
  register: (session: Identity) => Identity;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** STS's error body: `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>…`. */
const stsShape = (code: string): ErrorShape => ({
  contentType: 'text/xml',
  body: (message) =>
    `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`,
});
const stsError = (status: number, code: string, message: string) => new AwsError(status, code, message, stsShape(code));

/** The verifier's refusals in STS's own codes. */
const STS_CODES: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  UnrecognizedClientException: 'InvalidClientTokenId',
  ExpiredTokenException: 'ExpiredToken',
};

const ok = (action: string, result: string): LocalResponse => ({
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body: `<${action}Response xmlns="${XMLNS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
});

const validation = (message: string) => stsError(400, 'ValidationError', message);

/** `DurationSeconds`: 900 s to the role's maximum; a session assumed by a role session (chaining) at most one hour. */
function durationOf(value: string | null, role: RoleModel, caller: Identity): number {
  if (value === null) return 3600;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 900)
    throw validation(
      `1 validation error detected: Value '${value}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  if (seconds > 3600 && caller.principal.arn.includes(':assumed-role/'))
    throw validation(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  if (seconds > (role.maxSessionSeconds ?? 3600))
    throw validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return seconds;
}

/**
 * The STS query API (`POST /`, form-encoded `Action=…&Version=2011-06-15`), signed with the
 * service `sts`: `GetCallerIdentity`, and `AssumeRole` with the role's trust policy evaluated
 * as its resource policy (across accounts the caller's identity policy must allow
 * `sts:AssumeRole` too). Answers and errors in STS's XML.
 */
export async function handleSts(request: LocalRequest & ReceivedRequest, context: StsContext): Promise<LocalResponse> {
  const now = context.now?.() ?? new Date();
  let caller: Identity;
  try {
    caller = verifySignature(request, {
      service: 'sts',
      region: context.model.region,
      lookup: context.identities.lookup,
      now,
      explainMismatch: false,
    }).identity;
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    throw stsError(error.status === 400 ? 400 : 403, STS_CODES[error.type] ?? error.type, error.message);
  }
  const params = new URLSearchParams(request.target.split('?')[1] ?? '');
  for (const [name, value] of new URLSearchParams(Buffer.from(request.body).toString('utf8')))
    params.append(name, value);
  const action = params.get('Action');
  const { principal } = caller;
  if (action === 'GetCallerIdentity') {
    return ok(
      'GetCallerIdentity',
      `    <Arn>${escapeXml(principal.arn)}</Arn>\n    <UserId>${escapeXml(caller.userId)}</UserId>\n    <Account>${principal.accountId}</Account>\n`,
    );
  }
  if (action !== 'AssumeRole')
    throw stsError(400, 'InvalidAction', `Could not find operation ${action ?? '(none)'} for version 2011-06-15`);
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
    throw validation(
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  const role = context.model.roles.find((candidate) => candidate.arn === roleArn);
  const externalId = params.get('ExternalId');
  const decision =
    role &&
    authorize(
      {
        caller,
        action: 'sts:AssumeRole',
        resource: role.arn,
        resourceAccountId: role.accountId,
        resourcePolicy: role.trustPolicy ?? { Statement: [] },
        context: {
          ...requestContext({
            now,
            sourceIp: request.sourceIp,
            headers: request.headers,
            region: context.model.region,
          }),
          'sts:rolesessionname': sessionName,
          ...(externalId === null ? {} : { 'sts:externalid': externalId }),
        },
        resourcePolicyName: `${role.stackName}/${role.logicalId} trust policy`,
        trustPolicy: true,
        kind: 'sts',
        endpoint: `AssumeRole ${role.name}`,
      },
      context.decisions,
    );
  // The trust policy must name the caller (or its account, then its identity policy must allow
  // too): unlike other resource policies, an identity policy cannot stand in for it, even in
  // the role's own account (IAM "Cross account resource access", roles and KMS keys).
  // An unknown role is denied in the same words as a known one: STS does not tell them apart.
  if (!role || !decision?.allowed || decision.resource === 'silent') {
    const suffix = decision ? denialSuffix(decision, 'sts:AssumeRole').replace(/ because .*/, '') : '';
    throw stsError(
      403,
      'AccessDenied',
      `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}${suffix}`,
    );
  }
  const seconds = durationOf(params.get('DurationSeconds'), role, caller);
  const expiration = new Date(now.getTime() + seconds * 1000);
  const session = roleSession(`${role.name}/${sessionName}`, role, sessionName);
  session.credentials.expiration = expiration;
  context.register(session);
  const { credentials } = session;
  return ok(
    'AssumeRole',
    [
      '    <AssumedRoleUser>',
      `      <AssumedRoleId>${escapeXml(session.userId)}</AssumedRoleId>`,
      `      <Arn>${escapeXml(session.principal.arn)}</Arn>`,
      '    </AssumedRoleUser>',
      '    <Credentials>',
      `      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>`,
      `      <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>`,
      `      <SessionToken>${credentials.sessionToken}</SessionToken>`,
      `      <Expiration>${expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>`,
      '    </Credentials>',
      '',
    ].join('\n'),
  );
}
