export { MissingAssemblyError } from './assembly/manifest.js';
export { AssemblyError, type CloudAssemblyModel, type ReadOptions, readCloudAssembly } from './assembly/model.js';
export type { SegmentDocument, Subsegment, TraceContext } from './lambda/tracing.js';
export { XRayDaemon, type XRayDaemonOptions } from './services/xray/daemon.js';
export { traceTree } from './services/xray/trace-tree.js';
export { LocalStack, type LocalStackOptions, type LocalState, OUTSIDER_ACCOUNT } from './stack.js';
