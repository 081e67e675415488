import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Resource types moto's CloudFormation does not implement (moto 5.x): it skips them with a
 * warning, and a `Fn::GetAtt` of one fails the whole stack.
 */
export const MOTO_LACKS = /^AWS::(?:ApiGatewayV2::\w+|Lambda::Url|EC2::SecurityGroupEgress)$/;

interface Template {
  Resources?: Record<string, { Type: string; DependsOn?: string | string[] }>;
  [section: string]: unknown;
}

/** What stands in for a reference to a resource left out: visible in outputs and policies. */
export const placeholderOf = (logicalId: string, attribute?: string): string =>
  `moto-lacks-${logicalId}${attribute ? `.${attribute}` : ''}`;

function replaceReferences(value: unknown, removed: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceReferences(item, removed));
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1 && typeof node.Ref === 'string' && removed.has(node.Ref)) return placeholderOf(node.Ref);
  const getAtt = node['Fn::GetAtt'];
  if (keys.length === 1 && Array.isArray(getAtt) && removed.has(String(getAtt[0]))) {
    return placeholderOf(String(getAtt[0]), String(getAtt[1]));
  }
  return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, replaceReferences(item, removed)]));
}

/**
 * Leaves the resources moto lacks out of one template: references to them become
 * {@link placeholderOf} strings, `DependsOn` on them is dropped. Returns the template and the
 * types left out, with their counts.
 *
 * @throws {Error} when a reference the rewrite does not know (e.g. `Fn::Sub`) still names one.
 */
export function withoutMotoLacks(template: Template): { template: Template; leftOut: Record<string, number> } {
  const removed = new Set<string>();
  const leftOut: Record<string, number> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (!MOTO_LACKS.test(resource.Type)) continue;
    removed.add(logicalId);
    leftOut[resource.Type] = (leftOut[resource.Type] ?? 0) + 1;
  }
  if (removed.size === 0) return { template, leftOut };
  const resources: NonNullable<Template['Resources']> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (removed.has(logicalId)) continue;
    const dependsOn = [resource.DependsOn ?? []].flat().filter((id) => !removed.has(id));
    const { DependsOn: _dropped, ...rest } = resource;
    resources[logicalId] = dependsOn.length > 0 ? { ...rest, DependsOn: dependsOn } : rest;
  }
  const rewritten = replaceReferences({ ...template, Resources: resources }, removed) as Template;
  const text = JSON.stringify(rewritten);
  for (const logicalId of removed) {
    // A string naming it (Ref, GetAtt, DependsOn the rewrite missed) or a Fn::Sub variable.
    if ([`"${logicalId}"`, `\${${logicalId}}`, `\${${logicalId}.`].some((form) => text.includes(form))) {
      throw new Error(`a reference to ${logicalId} is left that the rewrite for moto does not know how to replace`);
    }
  }
  return { template: rewritten, leftOut };
}

/** Rewrites every template of a cloud assembly folder in place; returns the types left out, counted. */
export function leaveOutMotoLacks(assemblyDir: string): Record<string, number> {
  const total: Record<string, number> = {};
  for (const file of readdirSync(assemblyDir).filter((name) => name.endsWith('.template.json'))) {
    const path = join(assemblyDir, file);
    const { template, leftOut } = withoutMotoLacks(JSON.parse(readFileSync(path, 'utf8')) as Template);
    writeFileSync(path, JSON.stringify(template, null, 1));
    for (const [type, count] of Object.entries(leftOut)) total[type] = (total[type] ?? 0) + count;
  }
  return total;
}
