import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { bindRemainingTime, createIamClient, type IamClient } from './client.js';
import type { IamClientOptions } from './options.js';

/** What `iamClient()` adds to the Lambda context (and to `request.internal`). */
export type IamClientContext = {
  /** The signing HTTP client, one per container, reused across invocations. */
  iamClient: IamClient;
};

/** Options of the `iamClient()` middleware: the client's options. */
export type IamClientMiddlewareOptions = IamClientOptions;

/**
 * Middy middleware that puts a SigV4-signing HTTP client on `context.iamClient`, typed, so a
 * handler calls IAM-authorized APIs (API Gateway with `AWS_IAM`, Lambda Function URLs,
 * VPC Lattice) with its execution role. The client is created once, when the middleware is,
 * and every call it makes stops before the invocation's deadline.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { iamClient } from '@iam-m2m/middleware';
 *
 * export const handler = middy()
 *   .use(iamClient())
 *   .handler(async (_event, context) => context.iamClient.json({ url: process.env.IAM_API! }));
 * ```
 */
export function iamClient(
  options: IamClientMiddlewareOptions = {},
): MiddlewareObj<unknown, unknown, Error, Context & IamClientContext, IamClientContext> {
  const client = createIamClient(options);

  const iamClientMiddlewareBefore = (request: {
    context: Context & Partial<IamClientContext>;
    internal: Partial<IamClientContext>;
  }): void => {
    const { context } = request;
    if (typeof context.getRemainingTimeInMillis === 'function') {
      bindRemainingTime(client, () => context.getRemainingTimeInMillis());
    }
    context.iamClient = client;
    request.internal.iamClient = client;
    // Nothing is returned: a value returned from `before` would end the request early.
  };

  return { name: 'iamClient', before: iamClientMiddlewareBefore };
}
