import type { LambdaAuthorizerModel } from '../assembly/model.js';
import type { AwsError } from '../aws-error.js';
import type { Identity } from '../iam/identities.js';
import type { PolicyDocument } from '../iam/policy.js';
import type { ServiceContext } from './context.js';
import { apiGatewayIntegration, invokeWithin } from './integration.js';

// Lambda authorizers, as API Gateway runs them for REST and HTTP APIs ("Use API Gateway Lambda
// authorizers": https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html;
// HTTP APIs: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html):
// the identity sources checked before any call, the function invoked (with API Gateway's
// permission), its answer remembered per identity for the authorizer's TTL, and its policy
// evaluated by the one evaluator, as the caller's identity-based policy.

/** What an authorizer answered, remembered per identity: the caller it makes and what it passes on. */
export interface AuthorizerAnswer {
  /** The caller as IAM sees it: anonymous to resource policies, the answer's policy its own. */
  caller: Identity;
  principalId: string | undefined;
  /** Its `context`, as returned. */
  context: Record<string, unknown>;
  /** An HTTP API's simple answer (`isAuthorized`), when that is what it gave. */
  simple?: boolean | undefined;
}

/** How the door answers an authorizer's refusals: REST and HTTP APIs word them differently. */
export interface AuthorizerRefusals {
  /** 401: no identity, a token its validation expression refuses, or the function said "Unauthorized". */
  unauthorized: () => AwsError;
  /** 500: the function failed, timed out, answered malformed, or API Gateway may not invoke it. */
  failed: () => AwsError;
}

/** One call of an authorizer: whose identity, the event to send (made only when the function is called). */
export interface AuthorizerCall {
  authorizer: LambdaAuthorizerModel;
  /** `arn:aws:execute-api:<region>:<account>:<api id>`. */
  apiArn: string;
  apiAccountId: string;
  /** The identity sources' values in order; undefined when one is missing or empty (401 without a call). */
  identity: string[] | undefined;
  event: () => unknown;
  /** API Gateway's limit on the call: REST the integration's 29 s, HTTP APIs 10 s. */
  timeoutMs: number;
}

interface Remembered {
  answer: AuthorizerAnswer;
  expires: number;
}

/** Answers by authorizer (a reload brings new models, and so empty caches), then by identity. */
const remembered = new WeakMap<LambdaAuthorizerModel, Map<string, Remembered>>();

/** The most answers one authorizer remembers; past it the oldest is forgotten first. */
const MAX_ANSWERS = 1024;

/**
 * The authorizer's answer for this identity: remembered while its TTL lasts (a policy scoped to
 * one method then answers for the next, as on AWS), else the function's, checked. Throws the
 * door's 401 or 500 with the reason on stderr.
 */
export async function askAuthorizer(
  context: ServiceContext,
  call: AuthorizerCall,
  refusals: AuthorizerRefusals,
): Promise<AuthorizerAnswer> {
  const { authorizer } = call;
  const name = `the Lambda authorizer ${authorizer.name}`;
  if (!call.identity)
    throw refusals
      .unauthorized()
      .because(
        `${name}: the request lacks its identity source (${authorizer.identitySources.join(', ')}), so API Gateway did not call it`,
      );
  const now = context.now?.().getTime() ?? Date.now();
  const key = call.identity.join('\u0000');
  let answers = remembered.get(authorizer);
  const known = answers?.get(key);
  if (known && known.expires > now) return known.answer;
  const integration = (() => {
    try {
      return apiGatewayIntegration(
        context,
        authorizer.functionArn,
        `${call.apiArn}/authorizers/${authorizer.authorizerId}`,
        call.apiAccountId,
        { withRole: authorizer.credentials },
      );
    } catch (error) {
      throw refusals.failed().because(`${name}: ${(error as AwsError).why ?? (error as Error).message}`);
    }
  })();
  const outcome = await invokeWithin(integration, call.event(), call.timeoutMs);
  if (outcome === 'timeout')
    throw refusals.failed().because(`${name} did not answer within ${call.timeoutMs / 1000} s`);
  if (!outcome.ok) {
    if (outcome.error.errorMessage === 'Unauthorized')
      throw refusals.unauthorized().because(`${name} answered "Unauthorized"`);
    throw refusals
      .failed()
      .because(`${name} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage.split('\n')[0]}`);
  }
  const answer = answerOf(outcome.result, authorizer);
  if (typeof answer === 'string') throw refusals.failed().because(`${name} answered malformed: ${answer}`);
  // Remembered per identity: an authorizer without identity sources (whose every call looks the
  // same) is never cached, as API Gateway requires one for caching (API_Authorizer: identitySource).
  if (authorizer.ttlSeconds > 0 && call.identity.length > 0) {
    answers ??= new Map();
    remembered.set(authorizer, answers);
    if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value as string);
    answers.set(key, { answer, expires: now + authorizer.ttlSeconds * 1000 });
  }
  return answer;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The authorizer's result as an answer, or what is wrong with it: an IAM policy answer
 * (`principalId`, `policyDocument`, `context` of strings, numbers and booleans on REST APIs), or
 * with simple responses `{isAuthorized, context}`.
 */
function answerOf(result: unknown, authorizer: LambdaAuthorizerModel): AuthorizerAnswer | string {
  if (!isObject(result)) return 'not an object';
  const context = result.context ?? {};
  if (!isObject(context)) return 'its context is not an object';
  const rest = authorizer.payloadFormatVersion === undefined;
  if (rest && Object.values(context).some((value) => value !== null && typeof value === 'object'))
    return 'a REST API authorizer context takes strings, numbers and booleans only';
  const principalId = result.principalId === undefined ? undefined : String(result.principalId);
  const caller = (policy: PolicyDocument, source: string): Identity => ({
    name: `${authorizer.name}${principalId === undefined ? '' : ` (principalId ${principalId})`}`,
    principal: { arn: 'anonymous', accountId: '', entityArn: 'anonymous' },
    userId: '',
    credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    policies: [{ name: source, document: policy }],
    synthetic: true,
    authorizerAnswer: true,
  });
  if (authorizer.simpleResponses) {
    if (typeof result.isAuthorized !== 'boolean') return 'isAuthorized is not a boolean';
    // A simple answer as the policy it amounts to: every route the authorizer guards, or none.
    const policy: PolicyDocument = {
      Statement: [{ Effect: result.isAuthorized ? 'Allow' : 'Deny', Action: 'execute-api:Invoke', Resource: '*' }],
    };
    return {
      caller: caller(policy, `${authorizer.name} answer (isAuthorized: ${result.isAuthorized})`),
      principalId,
      context,
      simple: result.isAuthorized,
    };
  }
  const policy = result.policyDocument;
  // A single statement may stand for the list, as in any IAM policy.
  const statements = !isObject(policy) ? undefined : isObject(policy.Statement) ? [policy.Statement] : policy.Statement;
  if (!isObject(policy) || !Array.isArray(statements) || !statements.every(isObject))
    return 'its policyDocument is not a policy with a Statement list';
  if (principalId === undefined) return 'it has no principalId';
  return {
    caller: caller(
      { ...policy, Statement: statements } as unknown as PolicyDocument,
      `${authorizer.name} answer's policyDocument`,
    ),
    principalId,
    context,
  };
}

/** Where an identity source points (REST `method.request.header.X`, HTTP APIs `$request.header.X`). */
export type IdentityPlace = 'header' | 'querystring' | 'stageVariables' | 'context';

const SOURCE = /^\$?(?:method\.)?(?:request\.(header|querystring)|(stageVariables|context))\.(.+)$/;

/**
 * The values of an authorizer's identity sources, in order, looked up by `lookup`; undefined
 * when one is missing or empty (API Gateway then answers 401 without calling the function).
 */
export function identityValues(
  sources: string[],
  lookup: (place: IdentityPlace, name: string) => string | undefined,
): string[] | undefined {
  const values: string[] = [];
  for (const source of sources) {
    const [, request, other, name = ''] = SOURCE.exec(source) ?? [];
    const value = lookup((request ?? other) as IdentityPlace, name);
    if (value === undefined || value === '') return undefined;
    values.push(value);
  }
  return values;
}
