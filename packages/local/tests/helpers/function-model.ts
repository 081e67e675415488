import type { FunctionModel } from '../../src/assembly/model.js';

/** This process's Node major as a runtime: the environments run on the very Node running the tests. */
export const RUNTIME = `nodejs${process.versions.node.split('.')[0]}.x`;

/**
 * A function with inline (`ZipFile`) code, for a `FunctionRuntime` without a stack: only what
 * the runtime reads.
 */
export const inlineFunctionModel = (name: string, code: string, timeoutSeconds = 10): FunctionModel =>
  ({
    stackName: 'App',
    logicalId: name,
    name,
    functionName: `App-${name}`,
    arn: `arn:aws:lambda:us-east-1:111111111111:function:App-${name}`,
    accountId: '111111111111',
    region: 'us-east-1',
    role: {} as FunctionModel['role'],
    runtime: RUNTIME,
    codeDir: undefined,
    inlineCode: code,
    handler: 'index.handler',
    logGroupName: `/aws/lambda/App-${name}`,
    timeoutSeconds,
    memoryMb: 128,
    environment: {},
    permissions: [],
    qualifiers: { $LATEST: '$LATEST' },
  }) as FunctionModel;
