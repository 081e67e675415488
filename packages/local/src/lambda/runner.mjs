// The in-container side of the local Lambda runtime: loads the handler once (cold start)
// and runs one invocation at a time, as a Lambda execution environment does.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const [file = 'index', exportName = 'handler'] = (process.env._HANDLER ?? 'index.handler').split(/\.(?=[^.]+$)/);
let handlerPromise;

function loadHandler() {
  handlerPromise ??= (async () => {
    const path = ['.mjs', '.js', '.cjs']
      .map((ext) => join(root, `${file}${ext}`))
      .find((candidate) => existsSync(candidate));
    if (!path) throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
    const module = await import(pathToFileURL(path).href);
    const handler = module[exportName] ?? module.default?.[exportName];
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${file}.${exportName} is undefined or not exported`), {
        name: 'Runtime.HandlerNotFound',
      });
    }
    return handler;
  })();
  return handlerPromise;
}

function contextFor(message) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const errorOf = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
  trace: String(error?.stack ?? '').split('\n'),
});

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  try {
    const handler = await loadHandler();
    const result = await handler(message.event, contextFor(message));
    process.send({ id: message.id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ id: message.id, ok: false, error: errorOf(error) });
  }
});
process.send({ type: 'ready' });
