import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { FunctionModel } from '../assembly/model.js';
import { randomHex } from '../random-ids.js';
import type { RunnerNetwork } from '../services/vpc-endpoint/endpoint.js';
import type { NodeBinary } from './node-binary.js';
import { runtimeModulePatterns, runtimeModulesFolders } from './runtime-modules.js';

const RUNNER = fileURLToPath(new URL('./runner.mjs', import.meta.url));

/**
 * How many execution environments a function gets under concurrency:
 * - `warm` (the default): as many as the machine has cores, reused warm; when calls wait and no
 *   environment came free for {@link GROW_AFTER_MS}, one more starts (up to the most), so a slow or
 *   waiting function (one calling another through the stack, or itself) is never held behind its own callers;
 * - `per-request`: as Lambda scales, a new environment whenever every one is busy (up to the most).
 */
export type Environments = 'warm' | 'per-request';

/** How long no environment may come free, with calls waiting, before `warm` starts another. */
export const GROW_AFTER_MS = 50;

/** What an {@link EnvironmentPool} starts its processes with. */
export interface PoolOptions {
  fn: () => FunctionModel;
  node: NodeBinary;
  /** The code folder (an asset's, or inline code written out). */
  codeDir: () => string;
  environment: Record<string, string>;
  output?: 'inherit' | 'ignore' | undefined;
  stackOrigin?: string | undefined;
  /** A function in a VPC: what it reaches (see {@link RunnerNetwork}). */
  network?: RunnerNetwork | undefined;
  /** Receives the runner's lines about what AWS would not let the function do. */
  notice?: ((line: string) => void) | undefined;
  /** `127.0.0.1:<port>` of the X-Ray daemon, for `AWS_XRAY_DAEMON_ADDRESS`. */
  daemonAddress?: string | undefined;
  assemblyDir?: string | undefined;
  environments?: Environments | undefined;
  /** Most environments at once. */
  maxConcurrency: number;
}

/** One execution environment: its process, and what the runtime knows of its invocation. */
export interface Container {
  process: ChildProcess;
  busy: boolean;
  /** Output of the invocation running, whole lines, for its log. */
  output: string[];
  /** Takes output lines of the environment: into the log of the invocation running, and to the console. */
  take: (lines: string) => void;
  /** What the invocation running sent over the channel of a line not yet ended, by fd (1, 2). */
  open: string[];
  /** End markers seen on the pipes, by invocation id. */
  ends: Map<string, number>;
  /** Called when an end marker arrives. */
  onEnd?: (() => void) | undefined;
  /** Called with what the invocation running came to (its runner's answer, or its process's end). */
  onAnswer?: ((answer: Answer) => void) | undefined;
  /** Not yet invoked: the next invocation is a cold start. */
  cold: boolean;
  /** The most memory its process has held, MB, as its runner last said (REPORT's "Max Memory Used"). */
  maxMemoryMb: number;
  startedAt: number;
  readyAt: number;
  /** The same two moments in epoch milliseconds, for trace segments. */
  startedEpoch: number;
  readyEpoch: number;
}

/** One invocation as the runner receives it. */
export interface InvokeMessage {
  id: string;
  requestId: string;
  /** The event as JSON text (the Invoke API's payload, parsed in the environment)… */
  payload?: string;
  /** …or as a value, serialized as JSON on its way there. */
  event?: unknown;
  version: string;
  traceId: string;
  deadline: number;
  invokedFunctionArn: string;
}

/** The runner's answer to an invocation (runner.mjs). */
export type RunnerAnswer = {
  id: string;
  maxMemoryMb?: number;
  /** End markers it wrote on fd 1 and 2 (one for each it wrote around process.stdout and process.stderr). */
  markers?: number;
  /** The init phase failed: the environment is reset, and the next invocation starts a new one. */
  reset?: boolean;
} & (
  | { ok: true; result: unknown }
  | { ok: false; error: { errorType: string; errorMessage: string; trace?: string[] } }
);

/** What an invocation came to: the runner's answer, or the end of its process (`exited`: the signal or exit status). */
export type Answer = RunnerAnswer | { exited: string };

/** What a runner says besides an answer: it is ready, output of the invocation running, a notice for the stack's stderr. */
type RunnerMessage =
  | { type: 'ready'; maxMemoryMb?: number }
  | { type: 'output'; fd: 1 | 2; text: string }
  | { type: 'notice'; line: string };

const noticeOnStderr = (line: string) => process.stderr.write(`iam-m2m-local: ${line}\n`);

interface Waiter {
  resolve: (container: Container) => void;
  reject: (error: Error) => void;
}

// What the runner writes on fd 1 or 2 after an invocation that wrote there around process.stdout and process.stderr.
const END_MARK = '\u0000iam-m2m-end:';
const END_MARKER = new RegExp(`${END_MARK}([0-9a-f-]+)\n`, 'g');

/**
 * Reads an output pipe of an execution environment as Lambda's log agent reads stdout and
 * stderr, line by line: only whole lines go to `take`, so lines of other streams and functions
 * never run into them. The runner's end markers go to `ended`; a line still open at its
 * invocation's end, or at the stream's, ends there (as Lambda flushes it), never continued by the next.
 */
function readLines(stream: Readable, take: (lines: string) => void, ended: (id: string) => void): void {
  // A character may straddle chunks: one decoder for the stream.
  const decoder = new StringDecoder('utf8');
  let open = '';
  stream.on('data', (chunk: Buffer) => {
    let lines: string;
    [lines, open] = wholeLines(open + decoder.write(chunk));
    const ids: string[] = [];
    if (lines.includes(END_MARK))
      lines = lines.replace(END_MARKER, (_marker, id: string, at: number, all: string) => {
        ids.push(id);
        return at > 0 && all[at - 1] !== '\n' ? '\n' : '';
      });
    if (lines) take(lines);
    for (const id of ids) ended(id);
  });
  stream.on('end', () => {
    const rest = open + decoder.end();
    if (rest) take(`${rest}\n`);
  });
}

/** Text up to its last line break, and what follows it (a line not yet ended). */
function wholeLines(text: string): [string, string] {
  const end = text.lastIndexOf('\n') + 1;
  return [text.slice(0, end), text.slice(end)];
}

/** `2026/11/25/[$LATEST]<32 hex>`, as Lambda names an execution environment's log stream. */
function logStreamName(now = new Date()): string {
  const day = `${now.getUTCFullYear()}/${two(now.getUTCMonth() + 1)}/${two(now.getUTCDate())}`;
  return `${day}/[$LATEST]${randomHex(16)}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Output the invocation running sent over the channel: whole lines of each fd to the log, the rest kept. */
function takeOutput(container: Container, fd: 1 | 2, text: string): void {
  const [lines, open] = wholeLines((container.open[fd] ?? '') + text);
  container.open[fd] = open;
  if (lines) container.take(lines);
}

/** At an invocation's end (its answer, a timeout, its process's end): a line it left open ends there. */
function endOutput(container: Container): void {
  for (const fd of [1, 2]) {
    const line = container.open[fd];
    if (line) container.take(`${line}\n`);
    container.open[fd] = '';
  }
}

/**
 * A function's execution environments: Node processes running the runner with the function's
 * environment, each serving one invocation at a time, started as {@link Environments} says and
 * reused warm.
 */
export class EnvironmentPool {
  readonly #containers: Container[] = [];
  readonly #waiting: Waiter[] = [];
  /** Environments started without waiting (`warm`: the machine's cores). */
  readonly #warm: number;
  /** Environments in their init phase. */
  #starting = 0;
  /** When an environment last came free (or ready), `performance.now()`. */
  #lastFree = 0;
  #stallTimer: NodeJS.Timeout | undefined;

  public constructor(private readonly options: PoolOptions) {
    this.#warm =
      options.environments === 'per-request'
        ? options.maxConcurrency
        : Math.min(options.maxConcurrency, Math.max(1, availableParallelism()));
  }

  /** An idle environment, a new one, or the next one released. */
  public async acquire(): Promise<Container> {
    const idle = this.#containers.find((c) => !c.busy && c.process.connected);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.#containers.length < this.#warm) return this.#start();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#watchForStall();
    });
  }

  /**
   * While calls wait: when no environment came free for {@link GROW_AFTER_MS} and none is
   * starting, one more starts (up to the most) for the first waiter. Fast functions never stall
   * (an environment frees up every few milliseconds); a slow one, or one whose invocations wait
   * on other invocations of it (a call back through the stack), gets the environments it needs.
   */
  #watchForStall(): void {
    if (this.#stallTimer || this.#waiting.length === 0) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      const stalled = performance.now() - this.#lastFree >= GROW_AFTER_MS && this.#starting === 0;
      const waiter = stalled && this.#containers.length < this.options.maxConcurrency && this.#waiting.shift();
      if (waiter) void this.#start().then(waiter.resolve, waiter.reject);
      this.#watchForStall();
    }, GROW_AFTER_MS);
  }

  /** Hands the environment to the next waiter, or marks it idle. */
  public release(container: Container): void {
    if (!this.#containers.includes(container)) return;
    this.#lastFree = performance.now();
    const next = this.#waiting.shift();
    if (next) next.resolve(container);
    else container.busy = false;
  }

  /** Kills the environment (a timeout, a close); the next waiter gets a new one. */
  public discard(container: Container): void {
    container.process.kill('SIGKILL');
    const index = this.#containers.indexOf(container);
    if (index !== -1) this.#containers.splice(index, 1);
    const next = this.#waiting.shift();
    // Its replacement serves the next caller; if that one dies in its init phase, so does the call.
    if (next) void this.#start().then(next.resolve, next.reject);
  }

  /**
   * Runs one invocation in the environment: its runner's answer, the end of its process, or
   * `'timeout'` after `timeoutMs` (the environment is then discarded, as Lambda does).
   */
  public run(container: Container, message: InvokeMessage, timeoutMs: number): Promise<Answer | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        container.onAnswer = undefined;
        endOutput(container);
        this.discard(container);
        resolve('timeout');
      }, timeoutMs);
      container.onAnswer = (answer) => {
        if ('id' in answer && answer.id !== message.id) return;
        clearTimeout(timer);
        container.onAnswer = undefined;
        endOutput(container);
        if ('id' in answer) container.maxMemoryMb = answer.maxMemoryMb ?? container.maxMemoryMb;
        resolve(answer);
      };
      container.process.send({ type: 'invoke', ...message });
    });
  }

  /** Waits until the pipes an invocation wrote to around its streams have carried its end marker (`markers` of them), or a moment passed. */
  public async outputEnded(container: Container, id: string, markers: number): Promise<void> {
    const ended = () => (container.ends.get(id) ?? 0) >= markers || !container.process.connected;
    if (!ended()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        container.onEnd = () => {
          if (!ended()) return;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    container.onEnd = undefined;
    container.ends.delete(id);
  }

  /** Whether an invocation is running or waiting. */
  public get busy(): boolean {
    return this.#containers.some((container) => container.busy) || this.#waiting.length > 0;
  }

  /** Kills every environment. */
  public close(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    for (const container of [...this.#containers]) this.discard(container);
  }

  /** A new environment, busy: resolves once its init phase is over (rejects if its process ends in it). */
  async #start(): Promise<Container> {
    const startedAt = performance.now();
    const startedEpoch = Date.now();
    const child = this.#fork();
    const container: Container = {
      process: child,
      busy: true,
      output: [],
      take: () => undefined,
      open: ['', '', ''],
      ends: new Map(),
      cold: true,
      maxMemoryMb: 0,
      startedAt,
      readyAt: startedAt,
      startedEpoch,
      readyEpoch: startedEpoch,
    };
    this.#collectOutput(container);
    this.#containers.push(container);
    // One listener each for the life of the environment, not one per invocation.
    child.on('message', (message: RunnerAnswer | RunnerMessage) => {
      if (!('type' in message)) container.onAnswer?.(message);
      else if (message.type === 'output') takeOutput(container, message.fd, message.text);
      else if (message.type === 'notice') (this.options.notice ?? noticeOnStderr)(message.line);
    });
    child.once('exit', () => {
      const index = this.#containers.indexOf(container);
      if (index !== -1) this.#containers.splice(index, 1);
    });
    // Once its pipes and channel are read to the end: every line it wrote is in the log.
    child.once('close', (code, signal) => container.onAnswer?.({ exited: signal ?? `exit status ${code}` }));
    this.#starting++;
    try {
      await new Promise<void>((resolve, reject) => {
        const onReady = (message: RunnerMessage) => {
          if (message?.type !== 'ready') return;
          child.off('message', onReady);
          // What the init phase took: REPORT's figure even if the first invocation never answers.
          container.maxMemoryMb = message.maxMemoryMb ?? 0;
          resolve();
        };
        child.on('message', onReady);
        child.once('error', reject);
        child.once('exit', (code, signal) => reject(new Error(signal ?? `exit status ${code}`)));
      });
    } finally {
      this.#starting--;
    }
    container.readyAt = performance.now();
    this.#lastFree = container.readyAt;
    container.readyEpoch = Date.now();
    return container;
  }

  /** A new execution environment's process: the runner, with what it needs to know on argv, and Lambda's environment. */
  #fork(): ChildProcess {
    const fn = this.options.fn();
    const codeDir = this.options.codeDir();
    // For the runner, never the function: which modules the runtime provides and where they
    // resolve from, and where the AWS hosts are answered.
    const setup = {
      provided: runtimeModulePatterns(fn.runtime),
      from: runtimeModulesFolders(fn, this.options.assemblyDir),
      stack: this.options.stackOrigin,
      network: this.options.network,
    };
    return fork(RUNNER, [JSON.stringify(setup)], {
      cwd: codeDir,
      env: {
        PATH: process.env.PATH,
        ...this.options.environment,
        // The runtime environment Lambda defines (docs: "Defined runtime environment variables").
        LAMBDA_TASK_ROOT: codeDir,
        _HANDLER: fn.handler,
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
        AWS_REGION: fn.region,
        AWS_DEFAULT_REGION: fn.region,
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        // Lambda's X-Ray daemon: the local one (its address in both of Lambda's forms).
        ...(this.options.daemonAddress ? xrayDaemonVariables(this.options.daemonAddress) : {}),
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      execPath: this.options.node.path,
    });
  }

  /**
   * The function's stdout and stderr, whole lines each: into the log of the invocation running,
   * and to this process's stderr unless ignored.
   */
  #collectOutput(container: Container): void {
    container.take = (lines: string) => {
      if (container.busy) container.output.push(lines);
      if (this.options.output !== 'ignore') process.stderr.write(lines);
    };
    const ended = (id: string) => {
      container.ends.set(id, (container.ends.get(id) ?? 0) + 1);
      container.onEnd?.();
    };
    for (const stream of [container.process.stdout, container.process.stderr])
      if (stream) readLines(stream, container.take, ended);
  }
}

/** `AWS_XRAY_DAEMON_ADDRESS` (`ip:port`), `_AWS_XRAY_DAEMON_ADDRESS` and `_AWS_XRAY_DAEMON_PORT`, as Lambda sets them. */
function xrayDaemonVariables(address: string): Record<string, string> {
  const colon = address.lastIndexOf(':');
  return {
    AWS_XRAY_DAEMON_ADDRESS: address,
    _AWS_XRAY_DAEMON_ADDRESS: address.slice(0, colon),
    _AWS_XRAY_DAEMON_PORT: address.slice(colon + 1),
  };
}
