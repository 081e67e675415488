import { versionOf } from '../assembly/function-reference.js';
import { AwsError, GATEWAY_MESSAGE } from '../aws-error.js';
import { evaluateAccess } from '../iam/evaluate.js';
import type { FunctionRuntime, InvocationResult } from '../lambda/runtime.js';
import type { TraceContext } from '../lambda/tracing.js';
import type { ServiceContext } from './context.js';

/** Lambda's synchronous payload limits: the event, and the result (100 bytes more, as Lambda counts). */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
export const MAX_RESULT_BYTES = MAX_EVENT_BYTES + 100;

/** The function an API Gateway integration names (an alias or version ARN runs that version). */
export interface Integration {
  runtime: FunctionRuntime;
  version: string;
}

/**
 * The integration's function, when its resource policy lets API Gateway invoke it for this
 * request (Lambda decides that as for any caller: principal `apigateway.amazonaws.com`,
 * `aws:SourceArn` the method or route ARN); else API Gateway's 500 ("Invalid permissions on
 * Lambda function" in its logs).
 */
export function apiGatewayIntegration(
  context: ServiceContext,
  integrationArn: string | undefined,
  sourceArn: string,
  apiAccountId: string,
): Integration {
  const arn = integrationArn ?? '';
  const runtime = context.runtimes.get(arn.split(':').slice(0, 7).join(':'));
  const version = runtime && versionOf(runtime.fn.qualifiers, arn.split(':')[7]);
  const permitted =
    runtime !== undefined &&
    version !== undefined &&
    evaluateAccess(
      {
        principal: {
          arn: 'apigateway.amazonaws.com',
          accountId: '',
          entityArn: 'apigateway.amazonaws.com',
          service: true,
        },
        action: 'lambda:InvokeFunction',
        resource: arn,
        resourceAccountId: runtime.fn.accountId,
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': apiAccountId },
      },
      { identityPolicies: [], resourcePolicy: { Statement: runtime.fn.permissions } },
    ).allowed;
  if (!runtime || version === undefined || !permitted)
    throw new AwsError(500, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE);
  return { runtime, version };
}

/** Runs the event on the function within `timeoutMs`; `'timeout'` when it took longer. */
export async function invokeWithin(
  { runtime, version }: Integration,
  event: unknown,
  timeoutMs: number,
  trace?: TraceContext,
): Promise<InvocationResult | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  return Promise.race([runtime.invoke(event, { version, trace }), timedOut]).finally(() => clearTimeout(timer));
}

/** Whether a successful result is over Lambda's response limit (the integration then fails). */
export const resultTooLarge = (outcome: InvocationResult): boolean =>
  outcome.ok && Buffer.byteLength(JSON.stringify(outcome.result ?? null)) > MAX_RESULT_BYTES;
