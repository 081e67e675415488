export { bindRemainingTime, createIamClient, IamClient } from './client.js';
export {
  type AssumeRoleOptions,
  type Credentials,
  type CredentialsProvider,
  fromLambdaEnvironment,
  memoizeCredentials,
} from './credentials.js';
export {
  resolveSigningScope,
  type ScopeDefaults,
  type ScopeOverrides,
  type SigningScope,
} from './endpoint.js';
export {
  IamClientConfigError,
  IamClientError,
  IamNetworkError,
  IamRequestError,
  type IamRequestErrorDetails,
  IamTimeoutError,
} from './errors.js';
export { MAX_STREAMED_BODY_BYTES } from './fetch-input.js';
export { type IamClientContext, type IamClientMiddlewareOptions, iamClient } from './iam-client.js';
export type {
  IamCallOptions,
  IamClientLogger,
  IamClientOptions,
  IamMethodOptions,
  IamRequestOptions,
  IamSignOptions,
} from './options.js';
export {
  type BodyInput,
  encodeRfc3986,
  type HeadersInput,
  type OutgoingRequest,
  type OutgoingRequestInput,
  parseQueryString,
  type QueryInput,
  type QueryValue,
  toOutgoingRequest,
} from './outgoing-request.js';
export {
  NodeCryptoSha256,
  type PreparedRequest,
  type QueryMap,
  RequestSigner,
  type SignableRequest,
  type Signer,
} from './signing.js';
