// X-Ray traces of the local stack, with real parts: a real UDP socket, the real functions
// (Powertools Tracer in the bundles), this repo's one-account app.
//
// Shapes checked against:
// - the daemon protocol: a header line `{"format":"json","version":1}`, a newline, one document
//   (aws-xray-sdk-node, lib/segment_emitter.js: PROTOCOL_HEADER + PROTOCOL_DELIMITER);
// - API Gateway's segment: name `<api name>/<stage>`, origin AWS::ApiGateway::Stage, http.request
//   and http.response, aws.api_gateway {account_id, rest_api_id, stage, request_id}
//   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-understanding-xray-traces.html);
// - Lambda: `_X_AMZN_TRACE_ID`, AWS_XRAY_CONTEXT_MISSING=LOG_ERROR, AWS_XRAY_DAEMON_ADDRESS=ip:port;
//   the AWS::Lambda and AWS::Lambda::Function segments
//   (https://docs.aws.amazon.com/lambda/latest/dg/lambda-x-ray.html, services-xray.html);
// - Powertools Tracer's fetch subsegment: named by the host, namespace `remote`, http.request
//   {url, method}, http.response.status, `error` on a 4xx
//   (@aws-lambda-powertools/tracer, provider/ProviderService.js instrumentFetch).
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newTraceId, type SegmentDocument, type Subsegment } from '../../src/lambda/tracing.js';
import { XRayDaemon } from '../../src/services/xray/daemon.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

let stack: LocalStack;
let state: LocalState;
let tracesFile: string;
const warnings: string[] = [];
beforeAll(async () => {
  tracesFile = join(mkdtempSync(join(inject('scratchRoot'), 'traces-')), 'traces.jsonl');
  stack = await LocalStack.start({
    assemblyDir: inject('oneAccount'),
    functionOutput: 'ignore',
    tracesFile,
    warn: (line) => warnings.push(line),
  });
  state = stack.state();
});
afterAll(() => stack?.close());

const functionName = (name: string) => state.functions.find((fn) => fn.name === name)?.functionName ?? '';

/** Invokes the requestor and returns its trace once the functions' last segments arrived. */
async function requestorTrace(): Promise<{ traceId: string; documents: SegmentDocument[]; result: unknown }> {
  // A root of the caller's, the sampling decision left to Lambda (the requestor's tracing is Active).
  const traceId = newTraceId();
  const outcome = await stack.runtime('requestor')?.invoke({}, { trace: { root: traceId } });
  if (!outcome?.ok) throw new Error(`requestor failed: ${JSON.stringify(outcome)}`);
  return { traceId, documents: await stack.xray.settle(traceId, 300, 5000), result: outcome.result };
}

/** Every segment and subsegment of the documents, embedded ones with their segment's id as parent. */
function flatten(documents: SegmentDocument[]): (Subsegment & { parent_id?: string })[] {
  const all: (Subsegment & { parent_id?: string })[] = [];
  const walk = (node: Subsegment, parent?: string) => {
    all.push({ ...node, ...((node.parent_id ?? parent) ? { parent_id: node.parent_id ?? parent } : {}) });
    for (const sub of node.subsegments ?? []) walk(sub, node.id);
  };
  for (const document of documents) walk(document);
  return all;
}

function one<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

describe('the requestor’s trace', () => {
  let traceId: string;
  let documents: SegmentDocument[];
  let nodes: ReturnType<typeof flatten>;
  beforeAll(async () => {
    ({ traceId, documents } = await requestorTrace());
    nodes = flatten(documents);
  });
  const childrenOf = (id: string) => nodes.filter((node) => node.parent_id === id);

  it('joins the requestor, its signed HTTP call, API Gateway and hello-world under one trace id', () => {
    // Prepare
    const requestor = functionName('requestor');
    const helloWorld = functionName('hello-world');

    // Assess: every document of the trace carries its id
    expect(traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(new Set(documents.map((document) => document.trace_id))).toEqual(new Set([traceId]));

    // The Lambda service's segment starts the trace (the caller named a root, no parent).
    const service = one(
      documents.filter((d) => d.origin === 'AWS::Lambda' && d.name === requestor),
      'requestor AWS::Lambda',
    );
    expect(service.parent_id).toBeUndefined();
    const fn = one(
      documents.filter((d) => d.origin === 'AWS::Lambda::Function' && d.parent_id === service.id),
      'requestor AWS::Lambda::Function',
    );
    expect(fn.aws).toMatchObject({ function_arn: expect.stringContaining(requestor) });
    expect((fn.subsegments ?? []).map((sub) => sub.name)).toEqual(
      expect.arrayContaining(['Initialization', 'Invocation', 'Overhead']),
    );

    // Powertools' handler subsegment, sent on its own, under the function segment.
    const handler = one(
      childrenOf(fn.id).filter((node) => node.name === '## index.handler'),
      'requestor ## index.handler',
    );
    expect(documents.find((d) => d.id === handler.id)?.type).toBe('subsegment');

    // The signed call: its HTTP subsegment (URL, method, 200), API Gateway's segment under it.
    const calls = childrenOf(handler.id).filter((node) => node.namespace === 'remote');
    const signed = one(
      calls.filter((node) => node.http?.request?.url?.endsWith('/prod/') && node.http?.response?.status === 200),
      'signed call',
    );
    // Named by the API's AWS host, as on AWS: the function called the template's URL, which reached this stack.
    const host = `${state.apis[0]?.restApiId}.execute-api.${state.region}.amazonaws.com`;
    expect(signed).toMatchObject({ name: host, http: { request: { url: `https://${host}/prod/`, method: 'GET' } } });
    const api = state.apis[0];
    const gateway = one(childrenOf(signed.id), 'API Gateway segment of the signed call') as SegmentDocument;
    expect(gateway).toMatchObject({
      origin: 'AWS::ApiGateway::Stage',
      name: expect.stringMatching(/\/prod$/),
      http: {
        request: { method: 'GET', url: `https://${api?.restApiId}.execute-api.${state.region}.amazonaws.com/prod/` },
        response: { status: 200 },
      },
      aws: { api_gateway: { rest_api_id: api?.restApiId, stage: 'prod', account_id: api?.accountId } },
      annotations: { 'aws:api_id': api?.restApiId, 'aws:api_stage': 'prod' },
    });

    // API Gateway's Lambda subsegment → hello-world's Lambda segments → its handler subsegment.
    const invoke = one(childrenOf(gateway.id), 'API Gateway Lambda subsegment');
    expect(invoke).toMatchObject({
      name: 'Lambda',
      namespace: 'aws',
      aws: { operation: 'Invoke', function_name: helloWorld },
    });
    const helloService = one(childrenOf(invoke.id), 'hello-world AWS::Lambda');
    expect(helloService).toMatchObject({ origin: 'AWS::Lambda', name: helloWorld });
    const helloFunction = one(
      childrenOf(helloService.id).filter((node) => node.origin === 'AWS::Lambda::Function'),
      'hello-world AWS::Lambda::Function',
    );
    one(
      childrenOf(helloFunction.id).filter((node) => node.name === '## index.handler'),
      'hello-world ## index.handler',
    );
  });

  it('holds the unsigned call’s 403 in the same trace, as the caller’s subsegment and API Gateway’s segment', () => {
    // Assess
    const handler = nodes.find(
      (node) => node.name === '## index.handler' && node.http === undefined && childrenOf(node.id).length > 1,
    );
    const unsigned = one(
      childrenOf(handler?.id ?? '').filter((node) => node.http?.response?.status === 403),
      'unsigned call',
    );
    expect(unsigned).toMatchObject({
      error: true,
      http: {
        request: {
          url: `https://${state.apis[0]?.restApiId}.execute-api.${state.region}.amazonaws.com/prod/`,
          method: 'GET',
        },
      },
    });
    const gateway = one(childrenOf(unsigned.id), 'API Gateway segment of the unsigned call');
    expect(gateway).toMatchObject({
      origin: 'AWS::ApiGateway::Stage',
      error: true,
      http: { response: { status: 403 } },
      trace_id: traceId,
    });
    expect(childrenOf(gateway.id)).toEqual([]); // refused before the integration
  });

  it('writes every document to the traces file, one JSON line each, with no credential in it', async () => {
    // Prepare
    await new Promise((resolve) => setTimeout(resolve, 100)); // the file stream's last writes

    // Act
    const text = readFileSync(tracesFile, 'utf8');
    const lines = text.trimEnd().split('\n');

    // Assess
    expect(lines).toHaveLength(stack.xray.accepted);
    const written = lines.map((line) => JSON.parse(line) as SegmentDocument);
    for (const document of documents) expect(written).toContainEqual(document);
    for (const who of state.principals) {
      expect(text).not.toContain(who.secretAccessKey);
      expect(text).not.toContain(who.sessionToken);
    }
  });
});

describe('the trace header and the signature', () => {
  it('lets a signed request through with X-Amzn-Trace-Id added after signing, and continues that trace', async () => {
    // Prepare: sign, then add the header as Powertools does (never among the signed headers)
    const url = state.apis[0]?.url ?? '';
    const signed = await clientFor(state, 'requestor').sign(url, { method: 'GET' });
    const root = '1-6740a1b2-0123456789abcdef01234567';
    const parent = '53995c3f42cd8ad8';
    const headers = new Headers(signed.headers);
    headers.set('X-Amzn-Trace-Id', `Root=${root};Parent=${parent};Sampled=1`);
    expect(headers.get('authorization')).not.toMatch(/x-amzn-trace-id/i);

    // Act
    const response = await fetch(signed.url, { method: 'GET', headers });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ hello: 'world' });
    const documents = await stack.xray.settle(root, 300, 5000);
    const gateway = one(
      documents.filter((d) => d.origin === 'AWS::ApiGateway::Stage'),
      'API Gateway segment',
    );
    expect(gateway).toMatchObject({ parent_id: parent, http: { response: { status: 200 } } });
    expect(documents.some((d) => d.origin === 'AWS::Lambda::Function')).toBe(true);
  });
});

describe('a burst of invocations', () => {
  it('loses no segment: every trace holds as many documents as a lone invocation’s', async () => {
    // Prepare: a lone invocation's count (the function warm or not, the documents are the same)
    const lone = await requestorTrace();
    const expected = lone.documents.length;
    const malformed = stack.xray.malformed;

    // Act
    const burst = await Promise.all(Array.from({ length: 8 }, () => requestorTrace()));

    // Assess
    expect(expected).toBeGreaterThanOrEqual(12);
    expect(new Set(burst.map((trace) => trace.traceId)).size).toBe(8);
    expect(burst.map((trace) => trace.documents.length)).toEqual(Array(8).fill(expected));
    expect(stack.xray.malformed).toBe(malformed);
  });
});

describe('the daemon', () => {
  const send = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = createSocket('udp4');
      const [host, port] = stack.xray.address.split(':');
      socket.send(Buffer.from(text), Number(port), host, (error) => {
        socket.close();
        if (error) reject(error);
        else resolve();
      });
    });

  it('counts malformed datagrams with one warning and keeps serving', async () => {
    // Prepare
    const before = stack.xray.malformed;
    const header = '{"format":"json","version":1}';
    const traceId = '1-6740a1b2-fedcba9876543210fedcba98';
    const valid = {
      trace_id: traceId,
      id: '0123456789abcdef',
      parent_id: 'fedcba9876543210',
      type: 'subsegment',
      name: 'my-own-subsegment',
      start_time: 1_732_000_000.1,
      end_time: 1_732_000_000.2,
    };

    // Act
    await send('not a segment');
    await send(`${header}\n{"trace_id":`);
    await send(`{"format":"xml","version":1}\n${JSON.stringify(valid)}`);
    await send(`${header}\n${JSON.stringify({ ...valid, trace_id: 'nope' })}`);
    await send(`${header}\n${JSON.stringify(valid)}`);
    const kept = await stack.xray.settle(traceId, 200, 3000);

    // Assess
    expect(stack.xray.malformed - before).toBe(4);
    expect(warnings.filter((line) => line.includes('malformed'))).toHaveLength(1);
    expect(kept).toEqual([valid]);
  });

  it('keeps the newest documents up to its limit, in arrival order, each trace with its own', async () => {
    // Prepare
    const daemon = await XRayDaemon.start({ maxDocuments: 3 });
    const doc = (trace: number, id: number): SegmentDocument => ({
      trace_id: `1-6740a1b2-${String(trace).padStart(24, '0')}`,
      id: id.toString(16).padStart(16, '0'),
      name: `doc ${id}`,
      start_time: 1_732_000_000 + id,
      end_time: 1_732_000_001 + id,
    });
    try {
      // Act: 2 of trace 1, then 5 of trace 2, then 1 of trace 1; only the newest 3 stay.
      for (const [trace, id] of [
        [1, 1],
        [1, 2],
        [2, 3],
        [2, 4],
        [2, 5],
        [2, 6],
        [2, 7],
        [1, 8],
      ] as const)
        daemon.record(doc(trace, id));

      // Assess
      expect(daemon.documents().map((d) => d.name)).toEqual(['doc 6', 'doc 7', 'doc 8']);
      expect(daemon.trace(doc(2, 0).trace_id).map((d) => d.name)).toEqual(['doc 6', 'doc 7']);
      expect(daemon.trace(doc(1, 0).trace_id).map((d) => d.name)).toEqual(['doc 8']);
      expect(daemon.accepted).toBe(8);
    } finally {
      await daemon.close();
    }
  });

  it('never fails an invocation when it is gone', async () => {
    // Prepare
    await stack.xray.close();

    // Act
    const outcome = await stack.runtime('requestor')?.invoke({});

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { with: { hello: 'world' } } });
  });
});
