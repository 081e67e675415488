import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A CloudFormation stack of a cloud assembly, as its manifest describes it. */
export interface StackArtifact {
  /** The artifact id, prefixed by the nested assemblies holding it (`assembly-Prod/ProdApi`). */
  id: string;
  /** The stack's CloudFormation name (`properties.stackName`, else the artifact id). */
  stackName: string;
  /** Where the template is. */
  templateFile: string;
  /** The folder of the (nested) assembly holding it: asset paths are relative to it. */
  assemblyDir: string;
  /** The top folder of the cloud assembly it was listed from: of several apps served together, its app's. */
  appDir: string;
  /** The CDK Stages holding it, outermost first (`Prod/Callers`); empty at the top level. */
  stagePath: string;
  /** From `aws://<account>/<region>`; undefined when environment-agnostic. */
  accountId: string | undefined;
  region: string | undefined;
  /** Ids of the stacks it depends on, as the manifest says. */
  dependencies: string[];
}

interface ManifestArtifact {
  type: string;
  environment?: string;
  displayName?: string;
  properties?: { templateFile?: string; stackName?: string; directoryName?: string; displayName?: string };
  dependencies?: string[];
}

const ENVIRONMENT = /^aws:\/\/([^/]+)\/(.+)$/;

/** Thrown when a folder is not a cloud assembly. */
export class MissingAssemblyError extends Error {
  public constructor(dir: string) {
    super(`No cloud assembly at ${dir}: run \`cdk synth\` first (manifest.json is missing).`);
    this.name = 'MissingAssemblyError';
  }
}

/**
 * Every stack of a cloud assembly, those inside CDK Stages (nested assemblies) included, in
 * the manifest's order, each with the stacks it depends on.
 *
 * @throws {MissingAssemblyError} when `dir` holds no `manifest.json`.
 *
 * @example
 * ```ts
 * for (const stack of listStacks('cdk.out')) console.log(stack.stackName, stack.accountId);
 * ```
 */
export function listStacks(dir: string): StackArtifact[] {
  const stacks: StackArtifact[] = [];
  collect(dir, dir, '', '', stacks);
  return stacks;
}

/**
 * Deployment order: a stack after the stacks it depends on, by the manifest or by `after`
 * (e.g. the stacks whose exports it imports), else in the manifest's order.
 */
export function deploymentOrder(stacks: StackArtifact[], after: (stack: StackArtifact) => string[] = () => []) {
  const byId = new Map(stacks.map((stack) => [stack.id, stack]));
  const done: StackArtifact[] = [];
  const visit = (stack: StackArtifact, path: string[]) => {
    if (done.includes(stack) || path.includes(stack.id)) return;
    for (const id of [...stack.dependencies, ...after(stack)]) {
      const dependency = byId.get(id);
      if (dependency) visit(dependency, [...path, stack.id]);
    }
    done.push(stack);
  };
  for (const stack of stacks) visit(stack, []);
  return done;
}

function collect(dir: string, appDir: string, prefix: string, stagePath: string, stacks: StackArtifact[]) {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new MissingAssemblyError(dir);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      // displayName is the Stage's full path (`Prod/Callers`).
      const stage =
        artifact.properties.displayName ?? `${stagePath ? `${stagePath}/` : ''}${id.replace(/^assembly-/, '')}`;
      collect(join(dir, artifact.properties.directoryName), appDir, `${prefix}${id}/`, stage, stacks);
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const [, account, region] = ENVIRONMENT.exec(artifact.environment ?? '') ?? [];
    stacks.push({
      id: `${prefix}${id}`,
      stackName: artifact.properties?.stackName ?? id,
      templateFile: join(dir, artifact.properties?.templateFile ?? `${id}.template.json`),
      assemblyDir: dir,
      appDir,
      stagePath,
      accountId: account && account !== 'unknown-account' ? account : undefined,
      region: region && region !== 'unknown-region' ? region : undefined,
      dependencies: (artifact.dependencies ?? []).map((dependency) => `${prefix}${dependency}`),
    });
  }
}

/**
 * The context lookups an app made that its `cdk.context.json` could not answer (the manifest's
 * `missing`): CDK synthesized placeholders for them (`vpc-12345`, subnets `p-12345`…), since a
 * lookup needs AWS credentials. One line each, naming the key to give.
 */
export function missingContext(dir: string): string[] {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) return [];
  const { missing = [] } = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    missing?: { key?: string; provider?: string }[];
  };
  return missing.map(
    (entry) =>
      `the app looked up ${entry.provider ?? 'a context value'} that its cdk.context.json does not hold (key ${JSON.stringify(entry.key)}): CDK synthesized placeholders, served as they are; give the value under that key in cdk.context.json (\`cdk context\` shows it after a lookup with credentials)`,
  );
}

/**
 * The file assets of an assembly folder (`*.assets.json`): asset hash → the folder or file it
 * was built from. How a function's code is found when the template has no `aws:asset:path`
 * metadata (`cdk synth --no-asset-metadata`, or an app run without the CLI).
 */
export function assetSources(dir: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      files?: Record<string, { source?: { path?: string } }>;
    };
    for (const [hash, asset] of Object.entries(manifest.files ?? {}))
      if (asset.source?.path) sources.set(hash, resolve(dir, asset.source.path));
  }
  return sources;
}
