export { type AccessCell, type AccessMatrix, type AccessOptions, accessOf, accessText } from './access.js';
export { MissingAssemblyError } from './assembly/manifest.js';
export { AssemblyError, type CloudAssemblyModel, type ReadOptions, readCloudAssembly } from './assembly/model.js';
export type { DecisionRecord, DecisionSink } from './iam/decisions.js';
export { OUTSIDER_ACCOUNT } from './principals.js';
export { LocalStack, type LocalStackOptions, type LocalState } from './stack.js';
