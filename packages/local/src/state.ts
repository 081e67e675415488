import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import type { CloudAssemblyModel, FunctionUrlModel, HttpApiModel, RestApiModel } from './assembly/model.js';
import type { IdentityStore } from './iam/identities.js';
import { listenedFor } from './services/vpc-endpoint/listeners.js';

/** The state file of CONTRACT.md: endpoints, APIs, functions and principals. */
export interface LocalState {
  region: string;
  lambdaEndpoint: string;
  apis: { restApiId: string; accountId: string; stage: string; url: string }[];
  functions: { name: string; functionName: string; accountId: string }[];
  /** Function URLs (AuthType AWS_IAM: SigV4 with the service `lambda`). */
  functionUrls: { name: string; functionName: string; accountId: string; url: string }[];
  /** HTTP APIs (payload 2.0, AWS_IAM routes). */
  httpApis: { apiId: string; accountId: string; stage: string; url: string }[];
  /** Interface VPC endpoints: a call through `url` comes through that endpoint (listed where the app has any). */
  vpcEndpoints?: { id: string; vpcId: string; accountId: string; service: string; url: string }[];
  principals: {
    name: string;
    arn: string;
    accountId: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  }[];
}

/** What the state is made of: the app, the stack's URLs for it, and its principals. */
export interface StateSources {
  model: CloudAssemblyModel;
  origin: string;
  identities: IdentityStore;
  apiUrl(api: RestApiModel): string;
  functionUrl(url: FunctionUrlModel): string;
  httpApiUrl(api: HttpApiModel): string;
  endpointOrigin(id: string): string | undefined;
}

/** The state file's content (CONTRACT.md): endpoints, APIs, functions, VPC endpoints and principals. */
export function localState(stack: StateSources): LocalState {
  const { model } = stack;
  return {
    region: model.region,
    lambdaEndpoint: stack.origin,
    apis: model.apis.map((api) => ({
      restApiId: api.restApiId,
      accountId: api.accountId,
      stage: api.stageName,
      url: stack.apiUrl(api),
    })),
    functions: model.functions.map((fn) => ({ name: fn.name, functionName: fn.functionName, accountId: fn.accountId })),
    functionUrls: model.functionUrls.map((url) => {
      const fn = model.functions.find((candidate) => candidate.arn === url.functionArn);
      return {
        name: fn?.name ?? url.logicalId,
        functionName: fn?.functionName ?? url.functionArn.split(':')[6] ?? '',
        accountId: url.accountId,
        url: stack.functionUrl(url),
      };
    }),
    httpApis: model.httpApis.map((api) => ({
      apiId: api.apiId,
      accountId: api.accountId,
      stage: api.stageName,
      url: stack.httpApiUrl(api),
    })),
    ...(model.vpcEndpoints.some(listenedFor)
      ? {
          vpcEndpoints: model.vpcEndpoints.filter(listenedFor).map((endpoint) => ({
            id: endpoint.id,
            vpcId: endpoint.vpcId,
            accountId: endpoint.accountId,
            service: endpoint.service,
            url: `${stack.endpointOrigin(endpoint.id) ?? ''}/`,
          })),
        }
      : {}),
    principals: stack.identities.listed().map((identity) => ({
      name: identity.name,
      arn: identity.principal.arn,
      accountId: identity.principal.accountId,
      accessKeyId: identity.credentials.accessKeyId,
      secretAccessKey: identity.credentials.secretAccessKey,
      sessionToken: identity.credentials.sessionToken,
    })),
  };
}

/** Writes a state file atomically (readers never see half of it), readable by its owner only. */
export function writeStateFile(file: string, state: LocalState): void {
  // A new file of our own (never a leftover or a planted link), owner-only, then renamed in place.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}
