import type { DecisionSink } from '../iam/decisions.js';
import type { IdentityStore } from '../iam/identities.js';
import type { FunctionRuntime } from '../lambda/runtime.js';
import type { SegmentSink } from '../lambda/tracing.js';

/** What every service needs besides its own resource: who is who, the functions to run, the clock. */
export interface ServiceContext {
  identities: IdentityStore;
  /** By unqualified function ARN. */
  runtimes: Map<string, FunctionRuntime>;
  now?: () => Date;
  /** Receives every authorization decision. @default none */
  decisions?: DecisionSink | undefined;
  /** Where the services' own X-Ray segments go (API Gateway's). @default none: nothing recorded */
  segments?: SegmentSink | undefined;
  /** The stack's own address (`http://127.0.0.1:<port>`): where an integration's AWS URL is answered. @default none */
  origin?: string | undefined;
}
