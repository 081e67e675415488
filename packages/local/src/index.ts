export { type AccessCell, type AccessMatrix, type AccessOptions, accessOf, accessText } from './access.js';
export { MissingAssemblyError } from './assembly/manifest.js';
export { AssemblyError, type CloudAssemblyModel, type ReadOptions, readCloudAssembly } from './assembly/model.js';
export type { DecisionRecord, DecisionSink } from './iam/decisions.js';
export type { SegmentDocument, Subsegment, TraceContext } from './lambda/tracing.js';
export { OUTSIDER_ACCOUNT } from './principals.js';
export { XRayDaemon, type XRayDaemonOptions } from './services/xray/daemon.js';
export { traceTree } from './services/xray/trace-tree.js';
export { LocalStack, type LocalStackOptions, type LocalState } from './stack.js';
