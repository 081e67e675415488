// X-Ray trace context and segment documents, and the segments the Lambda service side records
// for a traced invocation ("Using AWS Lambda with AWS X-Ray"; X-Ray segment documents).
import { randomHex } from '../random-ids.js';

/** A trace context, as `X-Amzn-Trace-Id` and `_X_AMZN_TRACE_ID` carry it: `Root=…;Parent=…;Sampled=1`. */
export interface TraceContext {
  /** The trace id: `1-<8 hex seconds>-<24 hex>`. */
  root: string;
  /** The id of the segment or subsegment that made the call. */
  parent?: string | undefined;
  /** The sampling decision; undefined when the caller left it to the callee. */
  sampled?: boolean | undefined;
}

/** An X-Ray segment or subsegment document sent on its own: a trace id and the rest. */
export interface SegmentDocument extends Subsegment {
  trace_id: string;
}

/** A segment's or subsegment's fields this stack reads (any others are kept); embedded subsegments carry no trace id. */
export interface Subsegment {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  parent_id?: string;
  /** `subsegment` for a subsegment sent on its own. */
  type?: string;
  origin?: string;
  namespace?: string;
  http?: {
    request?: { url?: string; method?: string; [key: string]: unknown };
    response?: { status?: number; content_length?: number };
  };
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  aws?: Record<string, unknown>;
  subsegments?: Subsegment[];
  [key: string]: unknown;
}

/** Where the segments the local stack records go (its X-Ray daemon), and its address for the functions. */
export interface SegmentSink {
  /** `127.0.0.1:<port>`, the functions' `AWS_XRAY_DAEMON_ADDRESS`. */
  readonly address: string;
  record(document: SegmentDocument): void;
  /** Whether a request to `resource` (a stage, a function) that brought no sampling decision is traced. */
  sample(resource: string): boolean;
}

export const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
export const SEGMENT_ID = /^[0-9a-f]{16}$/;

/** A new trace id: version 1, the epoch seconds in 8 hex digits, 96 random bits. */
export function newTraceId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomHex(12)}`;
}

/** A new segment or subsegment id: 64 random bits in 16 hex digits. */
export const newSegmentId = (): string => randomHex(8);

/** Reads `Root=…;Parent=…;Sampled=…` (keys in any case, any order); undefined without a valid Root. */
export function parseTraceHeader(value: string | undefined): TraceContext | undefined {
  if (!value) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const root = fields.get('root');
  if (!root || !TRACE_ID.test(root)) return undefined;
  const parent = fields.get('parent');
  const sampled = fields.get('sampled');
  return {
    root,
    parent: parent && SEGMENT_ID.test(parent) ? parent : undefined,
    sampled: sampled === '1' ? true : sampled === '0' ? false : undefined,
  };
}

/** `Root=…;Parent=…;Sampled=1|0`. */
export const formatTraceHeader = (context: TraceContext): string =>
  [
    `Root=${context.root}`,
    ...(context.parent ? [`Parent=${context.parent}`] : []),
    ...(context.sampled === undefined ? [] : [`Sampled=${context.sampled ? 1 : 0}`]),
  ].join(';');

/** Epoch seconds with sub-millisecond digits, as segment documents write times. */
export const epochSeconds = (ms: number): number => Math.round(ms * 1000) / 1_000_000;

/** What the Lambda service knows of one invocation, for its two segments. */
export interface LambdaInvocationTrace {
  context: TraceContext & { sampled: boolean };
  /** The `AWS::Lambda` segment (the service) and the `AWS::Lambda::Function` segment (the function). */
  serviceId: string;
  functionId: string;
}

/**
 * Lambda's decision for an invocation: a caller's sampled context is continued; `Active` tracing
 * samples a call that brought no decision, `PassThrough` does not ("Lambda will only trace the
 * request from an upstream service if it contains a tracing header with Sampled=1").
 */
export function lambdaTrace(
  mode: string | undefined,
  upstream: TraceContext | undefined,
  sample: () => boolean = () => true,
): LambdaInvocationTrace {
  const sampled = upstream?.sampled ?? (mode === 'Active' && sample());
  return {
    context: { root: upstream?.root ?? newTraceId(), parent: upstream?.parent, sampled },
    serviceId: newSegmentId(),
    functionId: newSegmentId(),
  };
}

/** Times of one invocation, epoch milliseconds. */
export interface InvocationTimes {
  received: number;
  /** Init phase of a cold start. */
  init?: { start: number; end: number } | undefined;
  invocationStart: number;
  invocationEnd: number;
  end: number;
}

/**
 * The `AWS::Lambda` and `AWS::Lambda::Function` segments Lambda records for a sampled
 * invocation: the service's (its parent the caller's segment), then the function's with its
 * `Initialization` (cold start), `Invocation` and `Overhead` subsegments. The function's own
 * subsegments name the function segment as their parent (`_X_AMZN_TRACE_ID`'s Parent).
 */
export function lambdaSegments(
  trace: LambdaInvocationTrace,
  fn: { functionName: string; arn: string; accountId: string },
  requestId: string,
  times: InvocationTimes,
  failure?: { errorType: string; errorMessage: string; fault: boolean },
): SegmentDocument[] {
  const { root, parent } = trace.context;
  const subsegment = (name: string, start: number, end: number): Subsegment => ({
    id: newSegmentId(),
    name,
    start_time: epochSeconds(start),
    end_time: epochSeconds(end),
    aws: { function_arn: fn.arn },
  });
  const invocation = subsegment('Invocation', times.invocationStart, times.invocationEnd);
  if (failure) {
    invocation[failure.fault ? 'fault' : 'error'] = true;
    invocation.cause = { exceptions: [{ id: newSegmentId(), message: failure.errorMessage, type: failure.errorType }] };
  }
  return [
    {
      id: trace.serviceId,
      name: fn.functionName,
      start_time: epochSeconds(times.received),
      end_time: epochSeconds(times.end),
      ...(parent ? { parent_id: parent } : {}),
      trace_id: root,
      origin: 'AWS::Lambda',
      resource_arn: fn.arn,
      http: { response: { status: 200 } },
      aws: { request_id: requestId },
    },
    {
      id: trace.functionId,
      name: fn.functionName,
      start_time: epochSeconds(times.init?.start ?? times.invocationStart),
      end_time: epochSeconds(times.end),
      parent_id: trace.serviceId,
      trace_id: root,
      origin: 'AWS::Lambda::Function',
      resource_arn: fn.arn,
      aws: { account_id: fn.accountId, function_arn: fn.arn, resource_names: [fn.functionName] },
      ...(failure ? { [failure.fault ? 'fault' : 'error']: true } : {}),
      subsegments: [
        ...(times.init ? [subsegment('Initialization', times.init.start, times.init.end)] : []),
        invocation,
        subsegment('Overhead', times.invocationEnd, times.end),
      ],
    },
  ];
}
