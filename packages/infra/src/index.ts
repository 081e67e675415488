// The constructs a CDK app of its own can use; the repository's app (stacks, handlers) stays out.
export { BundledFunction, type BundledFunctionProps, type FunctionNetwork } from './bundled-function.js';
export { ExecuteApiEndpoint, type ExecuteApiEndpointProps } from './execute-api-endpoint.js';
export { IamFunctionUrl, type IamFunctionUrlProps } from './iam-function-url.js';
export { DEFAULT_STAGE, type HttpRouteGrant, IamHttpApi, type IamHttpApiProps } from './iam-http-api.js';
export { IamRestApi, type IamRestApiProps, type PrivateEndpoint } from './iam-rest-api.js';
