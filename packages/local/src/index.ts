export { MissingAssemblyError } from './assembly/manifest.js';
export { AssemblyError, type CloudAssemblyModel, type ReadOptions, readCloudAssembly } from './assembly/model.js';
export { LocalStack, type LocalStackOptions, type LocalState, OUTSIDER_ACCOUNT } from './stack.js';
