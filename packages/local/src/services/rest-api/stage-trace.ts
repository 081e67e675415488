// X-Ray tracing of a REST API stage with TracingEnabled, as API Gateway records it
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-understanding-xray-traces.html).
import type { RestApiModel } from '../../assembly/model.js';
import { headerOf, type LocalRequest } from '../../http.js';
import {
  epochSeconds,
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  type SegmentDocument,
  type SegmentSink,
  type Subsegment,
  type TraceContext,
} from '../../lambda/tracing.js';

/** Query parameters of a presigned request whose values must not reach a trace. */
const CREDENTIAL_PARAMETERS = /^x-amz-(signature|credential|security-token)$/i;

/** One traced request to a stage: its context, its segment id, what it called. */
export class StageTrace {
  readonly segmentId = newSegmentId();
  readonly start = Date.now();
  #lambda: Subsegment | undefined;

  private constructor(
    /** The trace the request belongs to, and the segment of the caller that sent it. */
    readonly upstream: TraceContext & { sampled: boolean },
  ) {}

  /**
   * Continues the caller's `X-Amzn-Trace-Id` (its sampling decision kept) or starts a trace;
   * undefined when the stage does not trace.
   */
  public static begin(api: RestApiModel, request: LocalRequest, sampler: SegmentSink): StageTrace | undefined {
    if (!api.tracingEnabled) return undefined;
    const header = headerOf(request.headers, 'x-amzn-trace-id');
    const caller = parseTraceHeader(header);
    return new StageTrace({
      root: caller?.root ?? newTraceId(),
      parent: caller?.parent,
      sampled: caller?.sampled ?? sampler.sample(`${api.restApiId}/${api.stageName}`),
    });
  }

  /**
   * The context handed to the Lambda integration: the stage's `Lambda` subsegment as its parent,
   * the stage's sampling decision. Call {@link endLambda} when the function answered.
   */
  public startLambda(fn: { functionName: string; arn: string; region: string }): TraceContext {
    const id = newSegmentId();
    this.#lambda = {
      id,
      name: 'Lambda',
      start_time: epochSeconds(Date.now()),
      namespace: 'aws',
      http: {
        request: {
          url: `https://lambda.${fn.region}.amazonaws.com/2015-03-31/functions/${fn.arn}/invocations`,
          method: 'POST',
        },
      },
      aws: {
        function_name: fn.functionName,
        region: fn.region,
        operation: 'Invoke',
        resource_names: [fn.functionName],
      },
    };
    return { root: this.upstream.root, parent: id, sampled: this.upstream.sampled };
  }

  /** Ends the `Lambda` subsegment with the status Lambda answered (a timeout leaves none). */
  public endLambda(status: number | undefined): void {
    if (!this.#lambda) return;
    this.#lambda.end_time = epochSeconds(Date.now());
    if (status !== undefined) this.#lambda.http = { ...this.#lambda.http, response: { status } };
    else this.#lambda.fault = true;
  }

  /** The header API Gateway passes to the integration: `Root=…;Parent=<its Lambda subsegment>;Sampled=…`. */
  public headerFor(context: TraceContext): string {
    return `Root=${context.root};Parent=${context.parent};Sampled=${context.sampled ? 1 : 0}`;
  }

  /**
   * The stage's segment (origin `AWS::ApiGateway::Stage`, name `<api name>/<stage>`): the
   * request (credentials of a presigned query redacted), the status, the API's ids.
   */
  public segment(
    api: RestApiModel,
    request: LocalRequest,
    stagePath: string,
    response: { status: number; contentLength: number },
    requestId: string,
  ): SegmentDocument {
    const { status } = response;
    return {
      id: this.segmentId,
      name: `${api.name ?? api.logicalId}/${api.stageName}`,
      start_time: epochSeconds(this.start),
      end_time: epochSeconds(Date.now()),
      ...(this.upstream.parent ? { parent_id: this.upstream.parent } : {}),
      trace_id: this.upstream.root,
      origin: 'AWS::ApiGateway::Stage',
      resource_arn: `arn:aws:apigateway:${api.region}::/restapis/${api.restApiId}/stages/${api.stageName}`,
      http: {
        request: {
          url: `https://${api.restApiId}.execute-api.${api.region}.amazonaws.com${redactQuery(stagePath)}`,
          method: request.method,
          client_ip: request.sourceIp,
          x_forwarded_for: true,
        },
        response: { status, content_length: response.contentLength },
      },
      ...(status === 429 ? { throttle: true } : {}),
      ...(status >= 400 && status < 500 ? { error: true } : status >= 500 ? { fault: true } : {}),
      annotations: { 'aws:api_id': api.restApiId, 'aws:api_stage': api.stageName },
      metadata: { default: { request_id: requestId } },
      aws: {
        xray: { sampling_rule_name: 'Default' },
        api_gateway: {
          account_id: api.accountId,
          rest_api_id: api.restApiId,
          stage: api.stageName,
          request_id: requestId,
        },
      },
      ...(this.#lambda ? { subsegments: [this.#lambda] } : {}),
    };
  }
}

/** The path and query with the values of `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token` redacted. */
function redactQuery(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const pairs = target
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0] ?? '';
      return CREDENTIAL_PARAMETERS.test(decodeURIComponentSafe(name)) ? `${name}=[redacted]` : pair;
    });
  return `${target.slice(0, q)}?${pairs.join('&')}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
