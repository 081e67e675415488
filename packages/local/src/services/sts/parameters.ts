import type { AwsError } from '../../aws-error.js';
import { type PolicyDocument, policyProblems, statementsOf } from '../../iam/policy.js';
import { invalidParameterValue, malformedPolicyDocument, stsError, validationError } from './wire.js';

/** A session tag of the request (`Tags.member.N.Key` / `.Value`). */
export interface SessionTag {
  key: string;
  value: string;
}

/**
 * AssumeRole's parameters, read from the query and checked as STS checks them
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
export interface AssumeRoleParameters {
  roleArn: string;
  roleSessionName: string;
  /** @default undefined: one hour */
  durationSeconds: number | undefined;
  externalId: string | undefined;
  /** The inline session policy (`Policy`), parsed. */
  policy: PolicyDocument | undefined;
  /** `PolicyArns.member.N.arn`: managed policies to use as session policies. */
  policyArns: string[];
  tags: SessionTag[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
  /** `PackedPolicySize`: how much of the packed limit the policies and tags take, in percent; undefined when none is passed. */
  packedPolicySize: number | undefined;
}

/** Every failed constraint of a request, in the words of AWS's validation (`Value '…' at 'roleSessionName' failed to satisfy constraint: …`). */
class Violations {
  readonly #found: string[] = [];

  public add(value: string | null, at: string, constraint: string): void {
    this.#found.push(
      `Value ${value === null ? 'null' : `'${value}'`} at '${at}' failed to satisfy constraint: Member ${constraint}`,
    );
  }

  /** A string's length and pattern; `null` for a required member that is missing. */
  public text(value: string | undefined, at: string, min: number, max: number, pattern?: [RegExp, string]): void {
    if (value === undefined) return;
    if ([...value].length < min) this.add(value, at, `must have length greater than or equal to ${min}`);
    if ([...value].length > max) this.add(value, at, `must have length less than or equal to ${max}`);
    if (pattern && !pattern[0].test(value))
      this.add(value, at, `must satisfy regular expression pattern: ${pattern[1]}`);
  }

  public count(values: string[], at: string, max: number): void {
    if (values.length > max) this.add(`[${values.join(', ')}]`, at, `must have length less than or equal to ${max}`);
  }

  /** `N validation error(s) detected: …; …`, or nothing when every constraint holds. */
  public error(): AwsError | undefined {
    const n = this.#found.length;
    if (n === 0) return undefined;
    return validationError(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.#found.join('; ')}`);
  }
}

// The patterns of the AssumeRole API reference, and how AWS prints them.
const NAME: [RegExp, string] = [/^[\w+=,.@-]*$/, '[\\w+=,.@-]*'];
const EXTERNAL_ID: [RegExp, string] = [/^[\w+=,.@:/-]*$/, '[\\w+=,.@:\\/-]*'];
const POLICY_TEXT: [RegExp, string] = [/^[\t\n\r\u0020-\u00FF]+$/, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+'];
const TAG_KEY: [RegExp, string] = [/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+'];
const TAG_VALUE: [RegExp, string] = [/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*'];

/** `Name.member.N[.field]` of a query, by N in order: each item's fields (`''` for a bare member). */
function membersOf(params: URLSearchParams, name: string): { index: number; fields: Record<string, string> }[] {
  const pattern = new RegExp(`^${name}\\.member\\.(\\d+)(?:\\.(\\w+))?$`);
  const items = new Map<number, Record<string, string>>();
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (match) items.set(Number(match[1]), { ...items.get(Number(match[1])), [match[2] ?? '']: value });
  }
  return [...items].sort(([a], [b]) => a - b).map(([index, fields]) => ({ index, fields }));
}

/** `DurationSeconds`: an integer from 900 to 43200 (12 hours); the role's own maximum is checked once the role is known. */
function durationOf(raw: string | null, violations: Violations): number | undefined {
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) {
    violations.add(raw, 'durationSeconds', 'must be an integer');
    return undefined;
  }
  const seconds = Number(raw);
  if (seconds < 900) violations.add(raw, 'durationSeconds', 'must have value greater than or equal to 900');
  if (seconds > 43_200) violations.add(raw, 'durationSeconds', 'must have value less than or equal to 43200');
  return seconds;
}

/** The tag lists, with the constraints of their members (50 tags; keys 1–128, values 0–256 characters). */
function tagsOf(
  params: URLSearchParams,
  violations: Violations,
): Pick<AssumeRoleParameters, 'tags' | 'transitiveTagKeys'> {
  const tags = membersOf(params, 'Tags').map(({ index, fields }) => {
    const at = `tags.${index}.member`;
    if (fields.Key === undefined) violations.add(null, `${at}.key`, 'must not be null');
    if (fields.Value === undefined) violations.add(null, `${at}.value`, 'must not be null');
    violations.text(fields.Key, `${at}.key`, 1, 128, TAG_KEY);
    violations.text(fields.Value, `${at}.value`, 0, 256, TAG_VALUE);
    return { key: fields.Key ?? '', value: fields.Value ?? '' };
  });
  violations.count(
    tags.map((tag) => `${tag.key}=${tag.value}`),
    'tags',
    50,
  );
  const transitiveTagKeys = membersOf(params, 'TransitiveTagKeys').map(({ index, fields }) => {
    violations.text(fields[''], `transitiveTagKeys.${index}.member`, 1, 128, TAG_KEY);
    return fields[''] ?? '';
  });
  violations.count(transitiveTagKeys, 'transitiveTagKeys', 50);
  return { tags, transitiveTagKeys };
}

/**
 * The inline session policy as STS reads it: JSON, statements with an Effect, an Action and a
 * Resource, and no Principal (a session policy is an identity-based policy).
 */
function sessionPolicyOf(text: string): PolicyDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformedPolicyDocument('Syntax errors in policy.');
  }
  if (document === null || typeof document !== 'object' || !('Statement' in document))
    throw malformedPolicyDocument('Syntax errors in policy.');
  const policy = document as PolicyDocument;
  const statements = statementsOf(policy);
  if (statements.some((s) => s === null || typeof s !== 'object'))
    throw malformedPolicyDocument('Syntax errors in policy.');
  if (statements.some((s) => s.Principal !== undefined || s.NotPrincipal !== undefined))
    throw malformedPolicyDocument('Policy document should not specify a principal.');
  if (statements.some((s) => s.Action === undefined && s.NotAction === undefined))
    throw malformedPolicyDocument('Policy statement must contain actions.');
  if (statements.some((s) => s.Resource === undefined && s.NotResource === undefined))
    throw malformedPolicyDocument('Policy statement must contain resources.');
  if (policyProblems({ name: 'Policy', document: policy }).length > 0)
    throw malformedPolicyDocument('Syntax errors in policy.');
  return policy;
}

/**
 * How much of the packed limit the session policies and tags take. AWS packs them in a binary
 * form of its own; its answers scale with the plain text (an 812-character policy: 118 %), so
 * locally one percent is 7 characters of minified policy, policy ARNs and tag keys and values.
 */
const PACKED_CHARACTERS_PER_PERCENT = 7;
function packedPercent(policy: PolicyDocument | undefined, policyArns: string[], tags: SessionTag[]): number {
  const characters =
    (policy ? JSON.stringify(policy).length : 0) +
    policyArns.join('').length +
    tags.reduce((sum, tag) => sum + tag.key.length + tag.value.length, 0);
  return Math.ceil(characters / PACKED_CHARACTERS_PER_PERCENT);
}

/** What STS refuses in the tags for what they mean: keys alike but for case, transitive keys not among the tags. */
function checkTagMeaning(tags: SessionTag[], transitiveTagKeys: string[]): void {
  const keys = tags.map((tag) => tag.key.toLowerCase());
  // Both messages as AWS answered them (recorded by LocalStack's parity tests, tests/aws/services/sts).
  if (new Set(keys).size !== keys.length)
    throw invalidParameterValue('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  if (transitiveTagKeys.some((key) => !keys.includes(key.toLowerCase())))
    throw invalidParameterValue('The specified transitive tag key must be included in the requested tags.');
}

/**
 * Reads and checks AssumeRole's parameters as STS does before it looks at the role: every
 * constraint of the API reference (`ValidationError`, all failures in one message), the role
 * ARN's form, the tags' meaning (`InvalidParameterValue`), the inline policy
 * (`MalformedPolicyDocument`) and the packed size (`PackedPolicyTooLarge`).
 *
 * @example
 * ```ts
 * const parameters = assumeRoleParameters(new URLSearchParams('RoleArn=arn:aws:iam::111111111111:role/x&RoleSessionName=s1'));
 * ```
 */
export function assumeRoleParameters(params: URLSearchParams): AssumeRoleParameters {
  const violations = new Violations();
  const get = (name: string) => params.get(name) ?? undefined;
  const [roleArn, roleSessionName] = [get('RoleArn'), get('RoleSessionName')];
  if (roleArn === undefined) violations.add(null, 'roleArn', 'must not be null');
  if (roleSessionName === undefined) violations.add(null, 'roleSessionName', 'must not be null');
  violations.text(roleArn, 'roleArn', 20, 2048);
  violations.text(roleSessionName, 'roleSessionName', 2, 64, NAME);
  const durationSeconds = durationOf(params.get('DurationSeconds'), violations);
  violations.text(get('ExternalId'), 'externalId', 2, 1224, EXTERNAL_ID);
  violations.text(get('Policy'), 'policy', 1, 2048, POLICY_TEXT);
  violations.text(get('SourceIdentity'), 'sourceIdentity', 2, 64, NAME);
  const policyArns = membersOf(params, 'PolicyArns').map(({ index, fields }) => {
    violations.text(fields.arn ?? '', `policyArns.${index}.member.arn`, 20, 2048);
    return fields.arn ?? '';
  });
  violations.count(policyArns, 'policyArns', 10);
  const { tags, transitiveTagKeys } = tagsOf(params, violations);
  const invalid = violations.error();
  if (invalid) throw invalid;
  // The form AWS requires of an ARN (recorded answers: `nothing-valid-in-here is invalid`).
  if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(roleArn ?? '')) throw validationError(`${roleArn} is invalid`);
  checkTagMeaning(tags, transitiveTagKeys);
  const text = get('Policy');
  const policy = text === undefined ? undefined : sessionPolicyOf(text);
  const passed = policy !== undefined || policyArns.length > 0 || tags.length > 0;
  const packed = packedPercent(policy, policyArns, tags);
  if (packed > 100) throw stsError(400, 'PackedPolicyTooLarge', `Packed policy consumes ${packed}% of allotted space`);
  return {
    roleArn: roleArn ?? '',
    roleSessionName: roleSessionName ?? '',
    durationSeconds,
    externalId: get('ExternalId'),
    policy,
    policyArns,
    tags,
    transitiveTagKeys,
    sourceIdentity: get('SourceIdentity'),
    packedPolicySize: passed ? packed : undefined,
  };
}
