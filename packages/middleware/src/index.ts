export {
  bindRemainingTime,
  createIamClient,
  IamClient,
  type IamClientLogger,
  type IamClientOptions,
  type IamMethodOptions,
  type IamRequestOptions,
} from './client.js';
export {
  type AssumeRoleOptions,
  type Credentials,
  type CredentialsProvider,
  fromLambdaEnvironment,
  memoizeCredentials,
} from './credentials.js';
export { resolveSigningScope, type SigningScope } from './endpoint.js';
export {
  IamClientConfigError,
  IamClientError,
  IamNetworkError,
  IamRequestError,
  type IamRequestErrorDetails,
  IamTimeoutError,
} from './errors.js';
export { type IamClientContext, type IamClientMiddlewareOptions, iamClient } from './iam-client.js';
export {
  type BodyInput,
  encodeRfc3986,
  type HeadersInput,
  parseQueryString,
  type QueryInput,
  type QueryValue,
  toOutgoingRequest,
} from './outgoing-request.js';
export { NodeCryptoSha256, type QueryMap, RequestSigner, type SignableRequest } from './signing.js';
