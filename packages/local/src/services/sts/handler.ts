import type { CloudAssemblyModel } from '../../assembly/model.js';
import { AwsError } from '../../aws-error.js';
import type { LocalRequest, LocalResponse } from '../../http.js';
import { type Identity, roleSession } from '../../iam/identities.js';
import { verifyHead } from '../../sigv4/verify.js';
import { admit } from '../admission.js';
import type { ServiceContext } from '../context.js';
import {
  actionsOf,
  assumeRoleContext,
  authorizeOnRole,
  checkChaining,
  sessionPolicies,
  sessionSeconds,
  sessionTags,
} from './assume-role.js';
import { type AssumeRoleParameters, assumeRoleParameters } from './parameters.js';
import { accessDenied, escapeXml, ok, stsError } from './wire.js';

/** What STS needs besides the common context: the app (its roles, region, policies), and where sessions go. */
export interface StsContext extends ServiceContext {
  model: CloudAssemblyModel;
  /** Registers a session STS issued (its credentials work from then on); returns it. */
  register: (session: Identity) => Identity;
}

/** The verifier's refusals in STS's own codes. */
const STS_CODES: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  UnrecognizedClientException: 'InvalidClientTokenId',
  ExpiredTokenException: 'ExpiredToken',
};

/**
 * The signer of an STS request and its body, or STS's refusal in its own codes: the signature's
 * head is checked before a byte of the body is read (AssumeRole's parameters are in the body).
 */
async function signed(
  request: LocalRequest,
  context: StsContext,
  now: Date,
): Promise<{ caller: Identity; body: Buffer }> {
  try {
    const { caller, body } = await admit(request, {
      verify: () =>
        verifyHead(request, {
          service: 'sts',
          region: context.model.region,
          lookup: context.identities.lookup,
          now,
          explainMismatch: false,
        }),
      // STS authorizes per action, once the parameters are read.
      authorize: () => {},
    });
    return { caller: caller as Identity, body };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    const refusal = stsError(error.status === 400 ? 400 : 403, STS_CODES[error.type] ?? error.type, error.message);
    throw error.why ? refusal.because(error.why) : refusal;
  }
}

/** The query of an STS call: the URL's and the form-encoded body's parameters together. */
function paramsOf(target: string, body: Buffer): URLSearchParams {
  const params = new URLSearchParams(target.split('?')[1] ?? '');
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.append(name, value);
  return params;
}

/**
 * The STS query API (`POST /`, form-encoded `Action=…&Version=2011-06-15`), signed with the
 * service `sts`: `GetCallerIdentity`, and `AssumeRole` with its session policies, session tags
 * and source identity. Answers and errors in STS's XML.
 */
export async function handleSts(request: LocalRequest, context: StsContext): Promise<LocalResponse> {
  const now = context.now?.() ?? new Date();
  const { caller, body } = await signed(request, context, now);
  const params = paramsOf(request.target, body);
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
  return assumeRole(assumeRoleParameters(params), caller, request, context, now);
}

/**
 * `AssumeRole` (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): the
 * parameters checked, then role chaining's rules, then each action the request needs decided on
 * the role's trust policy (across accounts the caller's identity policy must allow too), then the
 * duration and session policies against the role. The session carries its session policies,
 * tags (`aws:PrincipalTag/*`) and source identity (`aws:SourceIdentity`) into everything it does.
 */
function assumeRole(
  parameters: AssumeRoleParameters,
  caller: Identity,
  request: LocalRequest,
  context: StsContext,
  now: Date,
): LocalResponse {
  const { model } = context;
  checkChaining(parameters, caller);
  const role = model.roles.find((candidate) => candidate.arn === parameters.roleArn);
  // An unknown role is denied in the same words as a known one: STS does not tell them apart.
  if (!role) throw accessDenied(caller.principal.arn, 'sts:AssumeRole', parameters.roleArn);
  const conditionKeys = assumeRoleContext(parameters, caller, request, { now, region: model.region });
  for (const action of actionsOf(parameters, caller))
    authorizeOnRole(action, role, caller, conditionKeys, context.decisions, request.via);
  const seconds = sessionSeconds(parameters.durationSeconds, role, caller);
  const policies = sessionPolicies(parameters, role, model);
  const session = roleSession(`${role.name}/${parameters.roleSessionName}`, role, parameters.roleSessionName);
  const { tags, transitive } = sessionTags(role.tags, caller, parameters);
  session.principal.tags = tags;
  session.transitiveTags = Object.keys(transitive).length > 0 ? transitive : undefined;
  session.sourceIdentity = parameters.sourceIdentity ?? caller.sourceIdentity;
  session.sessionPolicies = policies;
  session.credentials.expiration = new Date(now.getTime() + seconds * 1000);
  context.register(session);
  return ok('AssumeRole', assumeRoleResult(session, parameters.packedPolicySize));
}

/** `<AssumedRoleUser>`, `<Credentials>`, and `<PackedPolicySize>` / `<SourceIdentity>` when the request had them. */
function assumeRoleResult(session: Identity, packedPolicySize: number | undefined): string {
  const { credentials } = session;
  const expiration = (credentials.expiration ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return [
    '    <AssumedRoleUser>',
    `      <AssumedRoleId>${escapeXml(session.userId)}</AssumedRoleId>`,
    `      <Arn>${escapeXml(session.principal.arn)}</Arn>`,
    '    </AssumedRoleUser>',
    '    <Credentials>',
    `      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>`,
    `      <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>`,
    `      <SessionToken>${credentials.sessionToken}</SessionToken>`,
    `      <Expiration>${expiration}</Expiration>`,
    '    </Credentials>',
    ...(packedPolicySize === undefined ? [] : [`    <PackedPolicySize>${packedPolicySize}</PackedPolicySize>`]),
    ...(session.sourceIdentity === undefined
      ? []
      : [`    <SourceIdentity>${escapeXml(session.sourceIdentity)}</SourceIdentity>`]),
    '',
  ].join('\n');
}
