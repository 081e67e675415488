import type { Context } from 'aws-lambda';
import type { IamClientContext } from '../../src/index.js';

/**
 * A Lambda-like context whose deadline is `remainingMs` from now, as the runtime gives it.
 * Typed with `iamClient` because Middy types a handler's context as it is after every
 * middleware ran; the middleware under test is what fills it in.
 */
export function lambdaContext(remainingMs = 30_000, functionName = 'requestor'): Context & IamClientContext {
  const deadline = Date.now() + remainingMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111111111111:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/24/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  return context as Context & IamClientContext;
}
