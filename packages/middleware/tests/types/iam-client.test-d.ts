import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createIamClient,
  type IamClient,
  type IamClientOptions,
  type IamRequestError,
  iamClient,
} from '../../src/index.js';

describe('types', () => {
  it('a Middy handler sees context.iamClient without a cast', () => {
    middy<APIGatewayProxyEvent, { hello: string }>()
      .use(iamClient())
      .handler(async (event, context) => {
        expectTypeOf(context.iamClient).toEqualTypeOf<IamClient>();
        expectTypeOf(context).toMatchTypeOf<Context>();
        expectTypeOf(event.path).toBeString();
        expectTypeOf(context.iamClient.json<{ hello: string }>({ url: '' })).resolves.toEqualTypeOf<{
          hello: string;
        }>();
        // @ts-expect-error: the middleware adds iamClient, nothing else
        context.iamClients;
        return { hello: 'world' };
      });
  });

  it('context.iamClient stays typed after the Powertools middlewares, in the recommended order', () => {
    const logger = new Logger();
    const tracer = new Tracer();
    middy()
      .use(captureLambdaHandler(tracer))
      .use(injectLambdaContext(logger))
      .use(iamClient({ logger }))
      .handler(async (_event, context) => {
        expectTypeOf(context.iamClient).toEqualTypeOf<IamClient>();
        expectTypeOf(context.iamClient.get).parameter(0).toEqualTypeOf<string | URL>();
        expectTypeOf(context.iamClient.get).returns.resolves.toEqualTypeOf<Response>();
      });
  });

  it('without the middleware there is no iamClient on the context', () => {
    middy().handler(async (_event, context) => {
      // @ts-expect-error: iamClient() was not used
      context.iamClient;
    });
  });

  it('options are checked: a Powertools Logger and console fit `logger`; typos do not', () => {
    expectTypeOf<{ logger: Logger }>().toMatchTypeOf<IamClientOptions>();
    expectTypeOf<{ logger: Console }>().toMatchTypeOf<IamClientOptions>();
    // @ts-expect-error: no such option
    createIamClient({ timeout: 5 });
    // @ts-expect-error: timeoutMs is a number
    createIamClient({ timeoutMs: '5' });
  });

  it('IamRequestError carries status and AWS error type', () => {
    expectTypeOf<IamRequestError['status']>().toBeNumber();
    expectTypeOf<IamRequestError['errorType']>().toEqualTypeOf<string | undefined>();
  });
});
