// What an invocation writes reaches its own log (START … END … REPORT) and no other, over real
// function processes (lambda/environments.ts, runtime.ts, runner.mjs). On Lambda the runtime's
// stdout and stderr go to the function's log stream line by line, each log event belonging to
// the invocation that wrote it, and the log of an invocation that timed out or whose runtime
// exited still holds what it wrote before
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html).
//
// Locally, what an invocation writes on process.stdout and process.stderr goes to the stack over
// the IPC channel as it is written, and the stack makes whole lines of it per stream; bytes
// written to fd 1 or 2 directly (fs.writeSync, as pino and sonic-boom write) go through the
// pipes, ended by a marker the stack waits for. Each test says in its comments what it guards against.
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionRuntime, type InvocationResult } from '../../src/lambda/runtime.js';
import { inlineFunctionModel } from '../helpers/function-model.js';

const runtimes: FunctionRuntime[] = [];
afterEach(() => {
  for (const runtime of runtimes.splice(0)) runtime.close();
});

function runtimeOf(name: string, code: string, timeoutSeconds?: number): FunctionRuntime {
  const runtime = new FunctionRuntime(inlineFunctionModel(name, code, timeoutSeconds), {
    environment: {},
    output: 'ignore',
  });
  runtimes.push(runtime);
  return runtime;
}

const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

/** The invocation's log, START … REPORT, as one string. */
function logOf(outcome: InvocationResult): string {
  const log = outcome.log ?? '';
  expect(log).toMatch(/^START RequestId: [0-9a-f-]+ Version: \$LATEST\n/);
  expect(log).toMatch(/\nEND RequestId: [0-9a-f-]+\nREPORT RequestId: [^\n]*\t\n$/);
  return log;
}

/** The lines between START and END: what the function wrote. */
const eventsOf = (outcome: InvocationResult): string[] => logOf(outcome).split('\n').slice(1, -3);

/** REPORT's "Max Memory Used", MB. */
function maxMemoryUsed(outcome: InvocationResult): number {
  const report = logOf(outcome)
    .split('\n')
    .find((line) => line.startsWith('REPORT RequestId: '));
  const mb = /\tMax Memory Used: (\d+) MB\t/.exec(report ?? '')?.[1];
  expect(mb).toBeDefined();
  return Number(mb);
}

describe('an invocation that never answers keeps what it wrote', () => {
  it('a line logged before a synchronous loop past the timeout is in the timed-out invocation’s log, and a cold start’s REPORT still has its Max Memory Used', async () => {
    // Prepare: the loop never yields, so nothing the runner schedules (a timer, a flush) runs after the line.
    const runtime = runtimeOf(
      'Stuck',
      "exports.handler = async () => { console.log('stuck after this line'); for (;;) {} };\n",
      1,
    );

    // Act: the first invocation of a fresh runtime, a cold start.
    const outcome = await runtime.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000011' });

    // Assess
    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(logOf(outcome)).toMatch(
      new RegExp(`\\n${TIME}\\tc0ffee00-0000-4000-8000-000000000011\\tINFO\\tstuck after this line\\n`),
    );
    expect(logOf(outcome)).toContain('\tInit Duration: ');
    // The environment never answered: the figure is the one its init phase reported.
    expect(maxMemoryUsed(outcome)).toBeGreaterThan(0);
  });

  it('a line logged before the function kills its own process with SIGTERM is in that invocation’s log (Runtime.ExitError)', async () => {
    // Prepare: a signal ends the process without its 'exit' handlers, so nothing is written at the end.
    const runtime = runtimeOf(
      'Killed',
      "exports.handler = async () => { console.log('about to be killed by a signal'); process.kill(process.pid, 'SIGTERM'); await new Promise((r) => setTimeout(r, 5000)); };\n",
    );

    // Act
    const outcome = await runtime.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000012' });

    // Assess
    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(outcome.ok || outcome.error.errorMessage).toContain('SIGTERM');
    expect(logOf(outcome)).toMatch(
      new RegExp(`\\n${TIME}\\tc0ffee00-0000-4000-8000-000000000012\\tINFO\\tabout to be killed by a signal\\n`),
    );
  });
});

describe('each invocation’s log holds its own output, in whole lines', () => {
  it('a line left open (no final newline) ends in its own invocation’s log, and the next log’s first event comes right after its START line', async () => {
    // Prepare
    const runtime = runtimeOf(
      'OpenLine',
      "let calls = 0;\nexports.handler = async () => { if (calls++ === 0) process.stdout.write('progress 100%'); else console.log('second invocation'); return calls; };\n",
    );

    // Act: one environment, one invocation after the other.
    const first = await runtime.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000021' });
    const second = await runtime.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000022' });

    // Assess
    expect([first.ok && first.result, second.ok && second.result]).toEqual([1, 2]);
    expect(eventsOf(first)).toEqual(['progress 100%']);
    expect(logOf(first)).toContain('\nprogress 100%\nEND RequestId: c0ffee00-0000-4000-8000-000000000021\n');
    // Not an empty line first (a console event starting a new line after one no longer open).
    expect(eventsOf(second)).toHaveLength(1);
    expect(eventsOf(second)[0]).toMatch(
      new RegExp(`^${TIME}\\tc0ffee00-0000-4000-8000-000000000022\\tINFO\\tsecond invocation$`),
    );
    expect(logOf(second)).not.toContain('progress');
  });

  it('output written to fd 1 and 2 directly (fs.writeSync, fs.write, as pino and sonic-boom do) is in the log of the invocation that wrote it, not the next one', async () => {
    // Prepare: each invocation logs a large line through process.stdout (100 KB: the channel is
    // still being read when the pipes' lines and the answer arrive), then lines naming its request
    // id on fd 1 and 2 directly; the fs.write (sonic-boom's asynchronous mode) has completed when
    // the handler returns.
    const runtime = runtimeOf(
      'Direct',
      [
        "const fs = require('node:fs');",
        'exports.handler = async (_event, context) => {',
        '  const id = context.awsRequestId;',
        "  process.stdout.write('large line of ' + id + ' ' + 'x'.repeat(100000) + '\\n');",
        "  fs.writeSync(1, 'direct line of ' + id + '\\n');",
        "  fs.writeSync(2, 'direct error line of ' + id + '\\n');",
        '  await new Promise((resolve, reject) =>',
        "    fs.write(1, 'written line of ' + id + '\\n', (error) => (error ? reject(error) : resolve())),",
        '  );',
        "  return 'ok';",
        '};',
        '',
      ].join('\n'),
    );
    // Several invocations: a log built before the pipes were read to its invocation's end would
    // miss the direct lines (and the next invocation's log would show them).
    const ids = Array.from({ length: 20 }, (_, i) => `c0ffee00-0000-4000-8000-0000000003${String(i).padStart(2, '0')}`);

    // Act: one after the other, in one environment.
    const outcomes: InvocationResult[] = [];
    for (const requestId of ids) outcomes.push(await runtime.invoke({}, { requestId }));

    // Assess: the same lines each time, whatever their order (the fds and the streams are two channels).
    const shown = (line: string) => line.replace(/x{1000,}/, (xs) => `x × ${xs.length}`);
    for (const [index, outcome] of outcomes.entries()) {
      const id = ids[index];
      expect(outcome).toMatchObject({ ok: true, result: 'ok' });
      expect(eventsOf(outcome).map(shown).sort()).toEqual(
        [
          `large line of ${id} x × 100000`,
          `direct line of ${id}`,
          `direct error line of ${id}`,
          `written line of ${id}`,
        ].sort(),
      );
      // The runner's end marker on the pipe never shows.
      expect(logOf(outcome)).not.toContain('\u0000');
    }
  });

  it('a line written with fs.write that the handler does not wait for (sonic-boom asynchronous) is in the log of the invocation that wrote it', async () => {
    // Prepare
    const runtime = runtimeOf(
      'AsyncDirect',
      [
        "const fs = require('node:fs');",
        'exports.handler = async (_event, context) => {',
        "  fs.write(1, 'async direct line of ' + context.awsRequestId + '\\n', () => undefined);",
        "  return 'ok';",
        '};',
        '',
      ].join('\n'),
    );
    const ids = Array.from({ length: 40 }, (_, i) => `c0ffee00-0000-4000-8000-0000000004${String(i).padStart(2, '0')}`);

    // Act: one after the other, in one environment.
    const outcomes: InvocationResult[] = [];
    for (const requestId of ids) outcomes.push(await runtime.invoke({}, { requestId }));

    // Assess
    for (const [index, outcome] of outcomes.entries())
      expect(eventsOf(outcome), ids[index]).toEqual([`async direct line of ${ids[index]}`]);
  });

  it('a UTF-8 character split across two writes in one invocation arrives whole', async () => {
    // Prepare: '€' is three bytes (e2 82 ac), written as two Buffers.
    const runtime = runtimeOf(
      'SplitChar',
      [
        'exports.handler = async () => {',
        "  const euro = Buffer.from('€');",
        "  process.stdout.write('price: 5 ');",
        '  process.stdout.write(euro.subarray(0, 2));',
        "  process.stdout.write(Buffer.concat([euro.subarray(2), Buffer.from('\\n')]));",
        "  return 'ok';",
        '};',
        '',
      ].join('\n'),
    );

    // Act
    const outcome = await runtime.invoke({});

    // Assess
    expect(eventsOf(outcome)).toEqual(['price: 5 €']);
  });

  it('a UTF-8 character split across two invocations stays in neither log whole: each keeps its own bytes, none carried into the next', async () => {
    // Prepare: the first invocation writes e2 82 (the start of '€'), the second ac (its end).
    const runtime = runtimeOf(
      'SplitAcross',
      [
        'let calls = 0;',
        'exports.handler = async () => {',
        "  if (calls++ === 0) { process.stdout.write('euro: '); process.stdout.write(Buffer.from([0xe2, 0x82])); return 1; }",
        "  process.stdout.write(Buffer.from([0xac])); process.stdout.write('\\nsecond invocation\\n');",
        '  return 2;',
        '};',
        '',
      ].join('\n'),
    );

    // Act
    const first = await runtime.invoke({});
    const second = await runtime.invoke({});

    // Assess: a byte sequence a decoder cannot finish is replaced (U+FFFD) where it was written.
    expect([first.ok && first.result, second.ok && second.result]).toEqual([1, 2]);
    expect(logOf(first)).not.toContain('€');
    expect(logOf(second)).not.toContain('€');
    expect(eventsOf(first)).toHaveLength(1);
    expect(eventsOf(first)[0]).toMatch(/^euro: \uFFFD+$/);
    expect(eventsOf(second)).toHaveLength(2);
    expect(eventsOf(second)[0]).toMatch(/^\uFFFD+$/);
    expect(eventsOf(second)[1]).toBe('second invocation');
  });

  it('stderr and stdout both reach the log, each line whole: a line left open on stderr never runs into stdout’s next line', async () => {
    // Prepare
    const runtime = runtimeOf(
      'TwoStreams',
      "exports.handler = async () => { process.stderr.write('err no newline'); process.stdout.write('out line\\n'); return 'ok'; };\n",
    );

    // Act
    const outcome = await runtime.invoke({});

    // Assess: two lines, whatever their order (stdout's ends first, stderr's at the invocation's end).
    expect(outcome).toMatchObject({ ok: true, result: 'ok' });
    expect(eventsOf(outcome).sort()).toEqual(['err no newline', 'out line']);
  });
});
