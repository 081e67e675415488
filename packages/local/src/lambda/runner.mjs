// The in-container side of the local Lambda runtime: loads the handler once (cold start)
// and runs one invocation at a time, as a Lambda execution environment does.
import fs, { existsSync, realpathSync } from 'node:fs';
import http from 'node:http';
import Module, { register, syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { join, sep } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { packageName, providedBy } from './runner-hooks.mjs';

/**
 * The AWS hosts the local stack answers, in every region and in every form AWS gives them, with
 * or without a final dot: STS (`sts.amazonaws.com`, `sts[-fips].<region>.amazonaws.com`, dual-stack
 * `sts[-fips].<region>.api.aws`; `sts-fips.amazonaws.com` too, which AWS does not have), the Lambda
 * API (`lambda[-fips].<region>.amazonaws.com`, `lambda[-fips].<region>.api.aws`), API Gateway
 * (every name under `execute-api[-fips].<region>.` `amazonaws.com`, `api.aws` or
 * `vpce.amazonaws.com`: `<api id>.…`, a private API's `<api id>-vpce-<vpce id>.…`) and function
 * URLs (every name under `lambda-url.<region>.on.aws`). aws-hosts.ts's `AWS_HOST` names the same set
 * and says what each is; aws-hosts.test.ts checks that both agree on a table of hosts.
 */
const AWS_HOST =
  /^(?:sts(?:-fips)?\.amazonaws\.com|(?:sts|lambda)(?:-fips)?\.[a-z0-9-]+\.(?:amazonaws\.com|api\.aws)|(?:.+\.)?execute-api(?:-fips)?\.[a-z0-9-]+\.(?:vpce\.amazonaws\.com|amazonaws\.com|api\.aws)|(?:.+\.)?lambda-url\.[a-z0-9-]+\.on\.aws)\.?$/;
const servedLocally = (host) => typeof host === 'string' && AWS_HOST.test(host.toLowerCase());

/** An AWS service's public endpoint (`sqs.us-east-1.amazonaws.com`, `s3.amazonaws.com`, `b.s3.eu-west-1.amazonaws.com`): its service. */
const SERVICE_HOST =
  /(?:^|\.)([a-z0-9-]+?)(?:-fips)?(?:\.dualstack)?\.(?:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d\.)?(?:amazonaws\.com(?:\.cn)?|api\.aws)$/;
/** Any name under AWS's domains, China's included. */
const AWS_DOMAIN = /\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$/;
/**
 * AWS names of resources inside a VPC (a database, a cache, an internal load balancer, a search
 * domain, brokers, file systems): they resolve to private addresses, reached as they are.
 */
const IN_VPC_RESOURCE =
  /\.(?:rds|cache|elb|es|redshift|redshift-serverless|kafka|kafka-serverless|mq|efs|memorydb|dax-clusters|docdb|docdb-elastic|neptune)\.(?:[a-z]{2}(?:-gov)?-[a-z]+-\d\.)?amazonaws\.com(?:\.cn)?$/;
/**
 * Names and addresses a function in a VPC reaches without the internet: loopback, the private
 * and shared ranges a VPC may use, names of one label (a local service's) or under `.internal`.
 */
const LOCAL_NAME =
  /^(?:[^.]+|localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+|.*\.internal|.*\.local)$/;

/** A private API's Route 53 alias, `<api id>-vpce-<id>.execute-api.<region>.amazonaws.com`. */
const API_ALIAS = /^[a-z0-9]+-vpce-[0-9a-f]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$/;

/** A socket that fails at once as `connect <code> <host>:<port>` (or a lookup, `getaddrinfo ENOTFOUND <host>`) does. */
function failedSocket(code, errno, host, port, why) {
  const syscall = code === 'ENOTFOUND' ? 'getaddrinfo' : 'connect';
  const where = code === 'ENOTFOUND' ? host : `${host}:${port}`;
  const socket = new net.Socket();
  const error = Object.assign(new Error(`${syscall} ${code} ${where}${why ? ` (${why})` : ''}`), {
    code,
    errno,
    syscall,
    hostname: host,
    port,
  });
  process.nextTick(() => socket.destroy(error));
  return socket;
}

/**
 * A function reaches AWS hosts only through the local stack: a connection to one of them, by
 * `node:http(s)` (the AWS SDK's request handler) or by `fetch`, is a plain TCP connection to the
 * stack's port instead, never a DNS lookup. The request is sent as the function wrote it (its
 * Host and path, which SigV4 signed), and the stack answers by its Host as AWS would.
 *
 * Another AWS service's endpoint (S3, SQS, Secrets Manager…) is never sent out either: the
 * function's credentials are the stack's own, and the call would leave the machine; it is refused
 * (`connect ECONNREFUSED`) with one line on the stack's stderr. Names of resources inside a VPC
 * (`*.rds.amazonaws.com`, `*.cache.amazonaws.com`…) and every other host go where Node sends them.
 *
 * A function in a VPC (`network`) reaches a host of its VPC's interface endpoints through that
 * endpoint's own port (its DNS names; with private DNS the service's names too), and, in subnets
 * without a route to a NAT gateway, nothing else public: such a connection fails as it would on
 * AWS (`connect ETIMEDOUT`), at once, and the stack says why on its stderr.
 */
function answerAwsHostsLocally(origin, network) {
  const destination = destinations(origin, network);
  routeAgents(destination);
  const nativeFetch = globalThis.fetch;
  if (typeof nativeFetch !== 'function') return;
  // On the first call only: loading Node's fetch (undici) takes ~20 ms, which a cold start that never fetches should not pay.
  globalThis.fetch = function fetch(input, init) {
    globalThis.fetch = nativeFetch;
    routeFetch(destination);
    return nativeFetch(input, init);
  };
}

const connectTo = (url) => {
  const { hostname, port } = new URL(url);
  return () => net.connect(Number(port), hostname);
};

/**
 * Where a connection to a host goes (see {@link answerAwsHostsLocally}): a connect function, or
 * undefined for where Node sends it; decided once per host.
 */
function destinations(origin, network) {
  const toStack = connectTo(origin);
  const endpoints = (network?.endpoints ?? []).map(({ hosts, origin: through }) => ({
    hosts: new RegExp(hosts),
    connect: connectTo(through),
  }));
  const services = new Set(network?.services ?? []);
  const { unreachable, notServed } = failures(network);
  const isolated = network !== undefined && !network.internet;
  const route = (name) => {
    const endpoint = endpoints.find((candidate) => candidate.hosts.test(name));
    if (endpoint) return endpoint.connect;
    const bare = name.replace(/\.$/, '');
    // From a VPC, another VPC's endpoint: its names resolve to that VPC's private addresses, out of reach;
    // an alias of an API not associated with the VPC's endpoint does not exist (Route 53 makes one per association).
    if (network && bare.endsWith('.vpce.amazonaws.com')) return unreachable(bare);
    if (network && API_ALIAS.test(bare)) return () => failedSocket('ENOTFOUND', -3008, bare, 443);
    if (servedLocally(name)) return isolated ? unreachable(bare) : toStack;
    if (LOCAL_NAME.test(bare) || IN_VPC_RESOURCE.test(bare)) return undefined;
    if (AWS_DOMAIN.test(bare)) {
      // Another service's public endpoint: from isolated subnets only through an endpoint of the VPC.
      const service = SERVICE_HOST.exec(bare)?.[1];
      return isolated && !(service && services.has(service)) ? unreachable(bare) : notServed(bare);
    }
    return isolated ? unreachable(bare) : undefined;
  };
  const memo = new Map();
  return (host) => {
    if (typeof host !== 'string') return undefined;
    const name = host.toLowerCase();
    if (!memo.has(name)) memo.set(name, route(name));
    return memo.get(name);
  };
}

/** Connections that fail at once, each said once per host on the stack's stderr. */
function failures(network) {
  const told = new Set();
  const tell = (key, line) => {
    if (told.has(key)) return;
    told.add(key);
    process.send?.({ type: 'notice', line });
  };
  return {
    /** As one to a host with no route does (on AWS: a timeout). */
    unreachable: (host) => (options) => {
      const port = options?.port ?? 443;
      tell(
        `unreachable ${host}`,
        `${network?.describe ?? process.env.AWS_LAMBDA_FUNCTION_NAME} cannot reach ${host}:${port}: on AWS the connection times out (give its subnets a NAT gateway, or its VPC an interface endpoint for the service)`,
      );
      return failedSocket('ETIMEDOUT', -110, host, port);
    },
    /** An AWS service the stack does not serve: never sent out (its credentials are the stack's). */
    notServed: (host) => (options) => {
      const port = options?.port ?? 443;
      tell(
        `not served ${host}`,
        `${process.env.AWS_LAMBDA_FUNCTION_NAME} called ${host}, which the local stack does not serve: refused here (on AWS the call reaches the service)`,
      );
      return failedSocket('ECONNREFUSED', -111, host, port, 'not served by the local stack');
    },
  };
}

/**
 * Every `http.Agent` and `https.Agent` (which inherits `createSocket`) connects where
 * `destination` says for the hosts it names, its socket then pooled as any other. Patched on
 * `node:http` alone: loading `node:https` (and TLS) costs a cold start up to ~20 ms on Node.js 24.
 */
function routeAgents(destination) {
  const createSocket = http.Agent.prototype.createSocket;
  http.Agent.prototype.createSocket = function createSocketForAws(request, options, callback) {
    const connect = destination(options?.host);
    if (!connect) return createSocket.call(this, request, options, callback);
    // `createSocket` calls `createConnection` at once: for this socket only, the stack's.
    const own = Object.getOwnPropertyDescriptor(this, 'createConnection');
    this.createConnection = connect;
    try {
      return createSocket.call(this, request, options, callback);
    } finally {
      if (own) Object.defineProperty(this, 'createConnection', own);
      else delete this.createConnection;
    }
  };
}

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
let fetchRouted = false;

/** `fetch`'s global dispatcher becomes Node's own for every host but those `destination` names, which connect where it says. */
function routeFetch(destination) {
  if (fetchRouted) return;
  fetchRouted = true;
  void globalThis.Headers; // loads Node's undici, which sets its global dispatcher
  const Agent = globalThis[GLOBAL_DISPATCHER]?.constructor;
  // A dispatcher the function set itself (a proxy agent) is left as it is.
  if (typeof Agent !== 'function' || Agent.name !== 'Agent') return;
  const agents = new Map();
  const agentFor = (connect) => {
    let agent = agents.get(connect);
    if (!agent) {
      agent = new Agent({
        connect: (options, callback) => {
          const socket = connect({ port: options.port || (options.protocol === 'http:' ? 80 : 443) });
          const failed = (error) => callback(error, null);
          socket.setNoDelay(true).once('error', failed);
          socket.once('connect', () => {
            socket.off('error', failed);
            callback(null, socket);
          });
        },
      });
      agents.set(connect, agent);
    }
    return agent;
  };
  class AwsHostsAgent extends Agent {
    dispatch(options, handler) {
      const connect = destination(new URL(String(options.origin)).hostname);
      return connect ? agentFor(connect).dispatch(options, handler) : super.dispatch(options, handler);
    }
  }
  globalThis[GLOBAL_DISPATCHER] = new AwsHostsAgent();
}

const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
// What the local stack tells the runner, not the function: taken off argv (Lambda's runtime has none there).
const { provided = [], from = [], stack, network } = JSON.parse(process.argv[2] ?? '{}');
process.argv.splice(2);
if (stack) answerAwsHostsLocally(stack, network);
// Modules are known by their real paths (a temporary folder may be a link, as /var is on macOS).
const realRoot = realpathSync(root);
register('./runner-hooks.mjs', import.meta.url, { data: { root: realRoot, provided, from } });
confineRequire(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`);

/**
 * `require` as in a Lambda execution environment, like the hooks do for `import`: code of the
 * code folder finds no package above that folder, and a package the runtime provides that the
 * code folder does not have resolves from the app's installed packages, then this package's (`from`).
 */
function confineRequire(taskRoot) {
  const inside = (path) => `${path}${sep}`.startsWith(taskRoot);
  const modulePaths = Module._nodeModulePaths;
  Module._nodeModulePaths = (dir) => (inside(dir) ? modulePaths(dir).filter(inside) : modulePaths(dir));
  const resolveFilename = Module._resolveFilename;
  const parents = from.map((dir) => ({
    id: join(dir, 'noop.js'),
    filename: join(dir, 'noop.js'),
    paths: modulePaths(dir),
  }));
  Module._resolveFilename = function resolveInTask(request, parent, ...rest) {
    try {
      return resolveFilename.call(this, request, parent, ...rest);
    } catch (error) {
      const name = packageName(request);
      if (error?.code !== 'MODULE_NOT_FOUND' || name === undefined || !providedBy(name, provided)) throw error;
      for (const provider of parents) {
        try {
          return resolveFilename.call(this, request, provider, ...rest);
        } catch {}
      }
      throw error;
    }
  };
}
// Lambda's Node.js runtime: `dir/module.path.to.fn` → folder `dir/`, module up to the first dot
// of the last path segment, then the export path, each dot one property deeper.
const handlerString = process.env._HANDLER ?? 'index.handler';
const slash = handlerString.lastIndexOf('/');
const [file, ...exportPath] = handlerString.slice(slash + 1).split('.');
const modulePath = `${handlerString.slice(0, slash + 1)}${file}`;
let handlerPromise;

/** The runtime's Node.js major version (`AWS_Lambda_nodejs22.x` → 22). */
const nodeMajor = Number(/nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1] ?? 0);
const CALLBACK_REMOVED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/**
 * Runs the handler as the Node.js runtime does
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html): an async handler's result.
 * Up to Node.js 22 every handler also gets a callback, and `callback(error, result)` or
 * `context.succeed`/`fail`/`done` settles the invocation, the first of them counting; a handler
 * of three parameters that returns no promise is settled by them alone (on AWS one that never
 * calls back answers null once its event loop is empty; here it runs into its timeout).
 * Node.js 24's context has none of those methods.
 */
function callHandler(handler, event, context) {
  if (nodeMajor >= 24) return handler(event, context);
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error === undefined || error === null ? resolve(result) : reject(error));
    Object.assign(context, {
      done: callback,
      succeed: (result) => callback(null, result),
      fail: (error) => callback(error ?? 'handled'),
    });
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      // A handler of two parameters that returned at once: its value, unless it called back first.
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

function loadHandler() {
  handlerPromise ??= (async () => {
    const path = ['.js', '.mjs', '.cjs']
      .map((ext) => join(root, `${modulePath}${ext}`))
      .find((candidate) => existsSync(candidate));
    if (!path || exportPath.length === 0) {
      throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: 'Runtime.ImportModuleError' });
    }
    const module = await import(pathToFileURL(path).href).catch((error) => {
      throw initError(error);
    });
    const find = (from) => exportPath.reduce((value, key) => value?.[key], from);
    const handler = find(module) ?? find(module.default);
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${modulePath}.${exportPath.join('.')} is undefined or not exported`), {
        name: 'Runtime.HandlerNotFound',
      });
    }
    // Node.js 24 takes a handler of three parameters for a callback one, and refuses it at init.
    if (handler.length >= 3 && nodeMajor >= 24) {
      throw Object.assign(new Error(CALLBACK_REMOVED), { name: 'Runtime.CallbackHandlerDeprecated' });
    }
    return handler;
  })();
  return handlerPromise;
}

/**
 * An error of the handler module's loading as Lambda's Node.js runtime reports it: a syntax
 * error as `Runtime.UserCodeSyntaxError`, a `require` of a missing module as
 * `Runtime.ImportModuleError`, each with the original error's text as its message; others as they are.
 */
function initError(error) {
  const name =
    error instanceof SyntaxError
      ? 'Runtime.UserCodeSyntaxError'
      : error?.code === 'MODULE_NOT_FOUND'
        ? 'Runtime.ImportModuleError'
        : undefined;
  return name ? Object.assign(new Error(String(error)), { name }) : error;
}

/** What the init phase threw (whatever it was, `undefined` too), told apart from a handler's error. */
class InitFailure {
  constructor(error) {
    this.error = error;
  }
}

/**
 * An error as the Node.js runtime logs it (its text format): `Invoke Error` for a handler's,
 * `Uncaught Exception` for the init phase's (no request id yet), then the error as JSON after a
 * tab (aws-lambda-nodejs-runtime-interface-client: textErrorLogger, Errors.toFormatted).
 */
function logError(what, failed, requestId) {
  const logged = { errorType: failed.errorType, errorMessage: failed.errorMessage, stack: failed.trace };
  const event = `${new Date().toISOString()}\t${requestId}\tERROR\t${what} \t${JSON.stringify(logged)}\n`;
  process.stdout.write(stdoutLineOpen ? `\n${event}` : event);
  return failed;
}

// The stack went away without stopping us (killed): an execution environment never outlives it.
process.on('disconnect', () => process.exit(0));

function contextFor(message) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: message.version,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

/**
 * An error as the runtime reports it (aws-lambda-nodejs-runtime-interface-client, Errors): an
 * Error (or an object with a string name, message and stack) by its name, message and stack;
 * anything else (`callback("Unauthorized")`) by its type, as text, without a trace.
 */
function errorOf(error) {
  const errorLike =
    error instanceof Error ||
    (typeof error?.name === 'string' && typeof error?.message === 'string' && typeof error?.stack === 'string');
  try {
    if (errorLike)
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

// The Node.js runtime's console (text log format): each call one log event,
// `<ISO time>\t<request id>\t<LEVEL>\t<message>\n`, its line breaks kept, as the runtime writes
// it to Lambda's telemetry log (aws-lambda-nodejs-runtime-interface-client, LogPatch.js logTextToFd);
// only without that log does the runtime turn them into `\r`s on stdout.
let currentRequestId = 'undefined';
// A line the function left open on stdout ends before an event: the event never continues it.
let stdoutLineOpen = false;

/**
 * What the invocation running writes on process.stdout and process.stderr goes to the stack at
 * once, over the channel, before its answer (so a timeout or a crash loses none of it, and the
 * stack need not read a pipe and wait for an end marker per call); the stack makes lines of it
 * per stream, as Lambda's log agent reads each pipe. Between invocations (the init phase, work
 * left running) output goes to the pipes as written. Bytes written to fd 1 or 2 around the
 * streams (a logger writing the fd itself, as pino does) go to the pipes: an invocation that
 * wrote one then ends it with a marker there, and the stack waits for it.
 */
/**
 * REPORT's "Max Memory Used": the most this execution environment has held, in MB (the process's
 * peak resident set, one getrusage call: reading the current one reads /proc).
 */
const maxMemoryMb = () => Math.ceil(process.resourceUsage().maxRSS / 1024);

let invocation; // the id of the invocation running
const decoders = new Map(); // by fd: a character split across writes stays whole
/** fd 1 and 2, when written around the streams in the invocation running. */
const direct = new Set();

function capture(stream, fd, own, chunk, encoding, callback) {
  if (typeof encoding === 'function') return capture(stream, fd, own, chunk, undefined, encoding);
  if (!invocation) return own.call(stream, chunk, encoding, callback);
  let text;
  if (typeof chunk !== 'string') {
    if (!decoders.has(fd)) decoders.set(fd, new StringDecoder('utf8'));
    text = decoders.get(fd).write(chunk);
  } else text = encoding && !/^utf-?8$/i.test(encoding) ? Buffer.from(chunk, encoding).toString('utf8') : chunk;
  if (text) process.send({ type: 'output', fd, text });
  if (callback) process.nextTick(callback);
  return true;
}

const writeStdout = process.stdout.write;
process.stdout.write = function write(chunk, encoding, callback) {
  const last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk?.[chunk.length - 1];
  if (last !== undefined && !Number.isNaN(last)) stdoutLineOpen = last !== 10;
  return capture(this, 1, writeStdout, chunk, encoding, callback);
};
const writeStderr = process.stderr.write;
process.stderr.write = function write(chunk, encoding, callback) {
  return capture(this, 2, writeStderr, chunk, encoding, callback);
};
const writeSync = fs.writeSync;
fs.writeSync = function writeSyncNoted(fd, ...rest) {
  if (invocation && (fd === 1 || fd === 2)) direct.add(fd);
  return writeSync.call(this, fd, ...rest);
};
// fs.write runs on a worker thread: an invocation's end marker waits for the ones in flight.
let writing = 0;
let written = () => undefined;
const write = fs.write;
fs.write = function writeNoted(fd, ...rest) {
  const callback = rest.at(-1);
  if (!invocation || (fd !== 1 && fd !== 2) || typeof callback !== 'function') return write.call(this, fd, ...rest);
  direct.add(fd);
  writing++;
  rest[rest.length - 1] = (...args) => {
    writing--;
    written();
    callback(...args);
  };
  return write.call(this, fd, ...rest);
};
syncBuiltinESMExports();

/** Resolves once the fs.write calls on fd 1 and 2 in flight are done. */
const writesDone = () =>
  writing === 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        written = () => {
          if (writing > 0) return;
          written = () => undefined;
          resolve();
        };
      });

/**
 * Ends the invocation's output: the rest of a character split across writes, and an end marker
 * on each fd written around the streams. @returns how many markers the stack is to wait for.
 */
async function endInvocation(id) {
  for (const [fd, decoder] of decoders) {
    const rest = decoder.end();
    if (rest) process.send({ type: 'output', fd, text: rest });
  }
  invocation = undefined;
  // The stack ends a line left open: the next invocation's first event starts a line of its own.
  stdoutLineOpen = false;
  await writesDone();
  const fds = [...direct];
  direct.clear();
  const marker = `\u0000iam-m2m-end:${id}\n`;
  await Promise.all(
    fds.map(
      (fd) =>
        new Promise((done) =>
          fd === 1 ? writeStdout.call(process.stdout, marker, done) : writeStderr.call(process.stderr, marker, done),
        ),
    ),
  );
  return fds.length;
}

for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
  ['fatal', 'FATAL'],
]) {
  console[method] = (...args) => {
    const event = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`;
    process.stdout.write(stdoutLineOpen ? `\n${event}` : event);
  };
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  currentRequestId = message.requestId;
  invocation = message.id;
  process.env._X_AMZN_TRACE_ID = message.traceId;
  if (process.env.AWS_LAMBDA_FUNCTION_VERSION !== message.version)
    process.env.AWS_LAMBDA_FUNCTION_VERSION = message.version;
  let outcome;
  try {
    const handler = await loadHandler().catch((error) => {
      throw new InitFailure(error);
    });
    // The event arrives as JSON text and is parsed here, as Lambda's runtime parses the payload.
    // (The services' own events arrive as values, already parsed from the channel's JSON.)
    const event = message.payload === undefined ? message.event : JSON.parse(message.payload);
    const result = await callHandler(handler, event, contextFor(message));
    outcome = { id: message.id, ok: true, result: result === undefined ? null : result };
  } catch (error) {
    // A failed init phase is answered, logged, and resets the environment (the next invocation
    // runs the init again, as Lambda's does: a module installed since then loads).
    if (!(error instanceof InitFailure))
      outcome = { id: message.id, ok: false, error: logError('Invoke Error', errorOf(error), currentRequestId) };
    else
      outcome = {
        id: message.id,
        ok: false,
        error: logError('Uncaught Exception', errorOf(error.error), 'undefined'),
        reset: true,
      };
  }
  outcome.maxMemoryMb = maxMemoryMb();
  outcome.markers = await endInvocation(message.id);
  process.send(outcome);
});
// The init phase: the handler's module loads before the first invocation (its errors surface there).
loadHandler()
  .catch(() => undefined)
  .finally(() => process.send({ type: 'ready', maxMemoryMb: maxMemoryMb() }));
