import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Where a REST API (v1) event keeps its request id: the correlation id of every log line. */
export const REST_REQUEST_ID = 'requestContext.requestId';

/**
 * Looks up a dotted path such as `requestContext.requestId`. The Logger needs a search
 * function for `correlationIdPath`; this one keeps JMESPath out of the bundle, and plain
 * paths are all these functions use.
 */
export function searchDottedPath(path: string, data: unknown): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

// One Logger and one Tracer per function, created once per container. The service name
// comes from POWERTOOLS_SERVICE_NAME; Tracer switches itself off outside Lambda.
export const logger = new Logger({ correlationIdSearchFn: searchDottedPath });
export const tracer = new Tracer();
