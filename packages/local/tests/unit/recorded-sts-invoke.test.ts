// AWS's own answers, replayed over real HTTP. LocalStack's parity tests record what real AWS
// answered (as botocore parses it: `Error.Code` / `Message` / `Type`, the error shape's modeled
// members, the status) and re-validate each recording against AWS, with its date. Every case below
// is one such recording, transcribed with its test id and date (Apache-2.0, attributed in NOTICE),
// and compared key by key with the local stack's answer parsed the way botocore parses it. Ids and
// account-bound values are placeholders: `<partition>`, `<region>`, `<a:len(N)>` (N × "a").
import { createIamClient } from '@iam-m2m/middleware';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { editedAssembly, principal } from '../helpers/stack.js';

/** Where the recordings are: LocalStack's AWS-validated tests (Apache-2.0), commit 8b9a79f0 (2026-03-23). */
const RECORDINGS =
  'https://github.com/localstack/localstack/tree/8b9a79f05846835cf4dff63ab7eefdde9df83783/tests/aws/services';
const STS_RECORDED = `${RECORDINGS}/sts/test_sts.snapshot.json`;
const LAMBDA_API_RECORDED = `${RECORDINGS}/lambda_/test_lambda_api.snapshot.json`;
const LAMBDA_RECORDED = `${RECORDINGS}/lambda_/test_lambda.snapshot.json`;
/**
 * A raw body of Lambda's `ValidationException` as an SDK printed it (CreateFunction, `role`):
 * `{"message":"1 validation error detected: …"}`. botocore reads `message` or `Message` and the
 * shape is not in Lambda's model, so the recordings cannot show the key.
 */
const RAW_VALIDATION_BODY =
  'https://github.com/AnthraxisBR/swoole-fastwork/blob/1378479de8e294959c2848dfec75e06e975731e0/src/Exceptions/ApiGatewayExceptions.php';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';

/** The recordings' placeholders, as this stack's values (the fixture's account is the recordings' 111111111111). */
const expand = (text: string): string =>
  text
    .replaceAll('<partition>', 'aws')
    .replaceAll('<region>', REGION)
    .replaceAll('<account>', ACCOUNT)
    .replace(/<a:len\((\d+)\)>/g, (_, n: string) => 'a'.repeat(Number(n)));
const expandAll = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value), (_, v) => (typeof v === 'string' ? expand(v) : v));

// ——— The stack: the sdk fixture (111111111111, us-east-1) with the recordings' two roles ———

/** The trust policy of the recordings' roles: the account may assume them and tag the session. */
const TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { AWS: ACCOUNT } }],
};
const ROLE_1 = `arn:aws:iam::${ACCOUNT}:role/recorded-role-1`;
const ROLE_2 = `arn:aws:iam::${ACCOUNT}:role/recorded-role-2`;

let stack: LocalStack;
let state: LocalState;
beforeAll(async () => {
  const assembly = editedAssembly(inject('fixtures').sdk, 'SdkStack', (template) => {
    Object.assign(template.Resources, {
      RecordedRole1: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'recorded-role-1',
          AssumeRolePolicyDocument: TRUST,
          // As test_iam_role_chaining_override_transitive_tags puts it: role 1 may assume and tag role 2.
          Policies: [
            {
              PolicyName: 'chain',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: [ROLE_2] }],
              },
            },
          ],
        },
      },
      RecordedRole2: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'recorded-role-2', AssumeRolePolicyDocument: TRUST },
      },
    });
  });
  stack = await LocalStack.start({ assemblyDir: assembly, functionOutput: 'ignore', warn: () => {} });
  state = stack.state();
});
afterAll(() => stack?.close());

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
const operator = (): Credentials => principal(state, 'operator');

// ——— Answers parsed as botocore parses them ———

/** What a recording holds of an error: botocore's `Error`, the modeled members, the status. */
type Parsed = Record<string, unknown> & { Error: Record<string, string>; ResponseMetadata: { HTTPStatusCode: number } };

const unescapeXml = (text: string): string =>
  text.replace(
    /&(lt|gt|amp|apos|quot);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] ?? e,
  );

/** An STS (query protocol) error: `<Error><Type/><Code/><Message/></Error>` → `Error.{Code,Message,Type}`. */
function parseQueryError(status: number, xml: string): Parsed {
  const field = (name: string) => unescapeXml(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '');
  return {
    Error: { Code: field('Code'), Message: field('Message'), Type: field('Type') },
    ResponseMetadata: { HTTPStatusCode: status },
  };
}

/**
 * The members of Lambda's error shapes (botocore's lambda/2015-03-31/service-2.json, Apache-2.0):
 * botocore copies each one the body has, under that exact key, beside `Error`.
 */
const LAMBDA_MODELED: Record<string, string[]> = {
  ResourceNotFoundException: ['Type', 'Message'],
  InvalidParameterValueException: ['Type', 'message'],
  InvalidRequestContentException: ['Type', 'message'],
};

/** A Lambda (rest-json) error: code from `x-amzn-ErrorType`, message from `message` or `Message`, modeled members. */
function parseRestJsonError(status: number, errorType: string | null, text: string): Parsed {
  const body = JSON.parse(text || '{}') as Record<string, unknown>;
  const code = (errorType ?? '').split(':')[0] ?? '';
  const modeled = (LAMBDA_MODELED[code] ?? []).filter((key) => body[key] !== undefined && body[key] !== null);
  return {
    Error: { Code: code, Message: String(body.message ?? body.Message ?? '') },
    ...Object.fromEntries(modeled.map((key) => [key, body[key]])),
    ResponseMetadata: { HTTPStatusCode: status },
  };
}

/** A form-encoded STS call, signed as the SDKs sign it. */
async function stsCall(parameters: Record<string, string>, as: Credentials = operator()) {
  const body = new URLSearchParams({ Version: '2011-06-15', ...parameters }).toString();
  const response = await createIamClient({ credentials: as, region: REGION, service: 'sts', maxAttempts: 1 }).request({
    method: 'POST',
    url: `${stack.origin}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: Buffer.from(body),
  });
  return { status: response.status, text: await response.text() };
}

/** `AssumeRole` with `Tags` and `TransitiveTagKeys` as the query protocol lists them. */
function assumeRole(input: {
  RoleArn: string;
  RoleSessionName: string;
  Tags?: [string, string][];
  TransitiveTagKeys?: string[];
}): Record<string, string> {
  const parameters: Record<string, string> = {
    Action: 'AssumeRole',
    RoleArn: input.RoleArn,
    RoleSessionName: input.RoleSessionName,
  };
  (input.Tags ?? []).forEach(([key, value], i) => {
    parameters[`Tags.member.${i + 1}.Key`] = key;
    parameters[`Tags.member.${i + 1}.Value`] = value;
  });
  (input.TransitiveTagKeys ?? []).forEach((key, i) => {
    parameters[`TransitiveTagKeys.member.${i + 1}`] = key;
  });
  return parameters;
}

/** The session credentials of an accepted AssumeRole. */
function sessionOf(xml: string): Credentials {
  const field = (name: string) => new RegExp(`<${name}>(.*?)</${name}>`).exec(xml)?.[1] ?? '';
  return {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
  };
}

/** An Invoke call as the operator, raw: `FunctionName` in the path, `Qualifier` in the query. */
async function invoke(input: { FunctionName: string; Qualifier?: string }, payload: Buffer = Buffer.from('{}')) {
  const query = input.Qualifier === undefined ? '' : `?Qualifier=${encodeURIComponent(input.Qualifier)}`;
  const response = await createIamClient({
    credentials: operator(),
    region: REGION,
    service: 'lambda',
    maxAttempts: 1,
  }).request({
    method: 'POST',
    url: `${state.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(input.FunctionName)}/invocations${query}`,
    body: payload,
  });
  const text = await response.text();
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), text };
}

// ——— STS ———

const sender = (Code: string, Message: string) => ({
  Error: { Code, Message, Type: 'Sender' },
  ResponseMetadata: { HTTPStatusCode: 400 },
});

describe(`STS AssumeRole: invalid role ARNs (test_sts.py::TestSTSIntegrations::test_sts_invalid_parameters, validated 2025-07-21, ${STS_RECORDED})`, () => {
  const rows: [id: string, roleArn: string, sessionName: string, recorded: Parsed][] = [
    [
      'malformed-arn',
      'nothing-valid-in-here',
      'Session1',
      sender('ValidationError', 'nothing-valid-in-here is invalid'),
    ],
    [
      'no-partition',
      'arn::b:::something/test-role',
      'Session1',
      sender('ValidationError', 'arn::b:::something/test-role is invalid'),
    ],
    [
      'no-service',
      'arn:a::::something/test-role',
      'Session1',
      sender('ValidationError', 'arn:a::::something/test-role is invalid'),
    ],
    [
      'not-enough-colons',
      'arn:a:::something/test-role',
      'Session1',
      sender('ValidationError', 'arn:a:::something/test-role is invalid'),
    ],
    ['no-resource', 'arn:a:a::aaaaaaaaaa:', 'Session1', sender('ValidationError', 'arn:a:a::aaaaaaaaaa: is invalid')],
    [
      'invalid-session-name',
      'arn:a:b:::something/test-role',
      'Session1:2',
      sender(
        'ValidationError',
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      ),
    ],
  ];

  it.each(rows)('[%s] answers as AWS recorded', async (_id, roleArn, sessionName, recorded) => {
    // Act
    const { status, text } = await stsCall(assumeRole({ RoleArn: roleArn, RoleSessionName: sessionName }));

    // Assess
    expect(parseQueryError(status, text)).toEqual(recorded);
  });
});

describe(`STS AssumeRole: session tags (test_sts.py::TestSTSAssumeRoleTagging, validated 2025-04-10, ${STS_RECORDED})`, () => {
  it('test_assume_role_tag_validation: transitive keys not among the tags, case-insensitive keys, duplicates in other case', async () => {
    // Act
    const invalidTransitive = await stsCall(
      assumeRole({
        RoleArn: ROLE_1,
        RoleSessionName: 'SessionInvalidTransitiveKeys',
        Tags: [['SessionTag1', 'SessionValue1']],
        TransitiveTagKeys: ['InvalidKey'],
      }),
    );
    // The recording's test expects this one accepted: transitive tag keys are case insensitive.
    const otherCase = await stsCall(
      assumeRole({
        RoleArn: ROLE_1,
        RoleSessionName: 'SessionInvalidCasingTransitiveKeys',
        Tags: [['SessionTag1', 'SessionValue1']],
        TransitiveTagKeys: ['sessiontag1'],
      }),
    );
    const duplicate = await stsCall(
      assumeRole({
        RoleArn: ROLE_1,
        RoleSessionName: 'SessionInvalidCasingTransitiveKeys',
        Tags: [
          ['SessionTag1', 'SessionValue1'],
          ['sessiontag1', 'SessionValue2'],
        ],
        TransitiveTagKeys: ['sessiontag1'],
      }),
    );

    // Assess
    expect(parseQueryError(invalidTransitive.status, invalidTransitive.text)).toEqual(
      sender('InvalidParameterValue', 'The specified transitive tag key must be included in the requested tags.'),
    );
    expect(otherCase.status).toBe(200);
    expect(parseQueryError(duplicate.status, duplicate.text)).toEqual(
      sender('InvalidParameterValue', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
    );
  });

  it('test_iam_role_chaining_override_transitive_tags: a chained session may not set an inherited transitive tag, in any case', async () => {
    // Prepare
    const first = await stsCall(
      assumeRole({
        RoleArn: ROLE_1,
        RoleSessionName: 'Session1',
        Tags: [['SessionTag1', 'SessionValue1']],
        TransitiveTagKeys: ['SessionTag1'],
      }),
    );
    expect(first.status).toBe(200);
    const session = sessionOf(first.text);

    // Act
    const override = await stsCall(
      assumeRole({
        RoleArn: ROLE_2,
        RoleSessionName: 'Session2SessionTagOverride',
        Tags: [['SessionTag1', 'SessionValue2']],
      }),
      session,
    );
    const overrideOtherCase = await stsCall(
      assumeRole({
        RoleArn: ROLE_2,
        RoleSessionName: 'Session2SessionTagOverride',
        Tags: [['sessiontag1', 'SessionValue2']],
      }),
      session,
    );

    // Assess
    const conflict = sender(
      'InvalidParameterValue',
      "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
    );
    expect(parseQueryError(override.status, override.text)).toEqual(conflict);
    expect(parseQueryError(overrideOtherCase.status, overrideOtherCase.text)).toEqual(conflict);
  });
});

// ——— Lambda Invoke ———

/** Invoke's `FunctionName` pattern as AWS prints it in its validation errors (recorded 2025-11-25). */
const NAME_PATTERN = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`;
/** Invoke's `Qualifier` pattern as AWS prints it (recorded 2025-11-25). */
const QUALIFIER_PATTERN = String.raw`\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`;

/**
 * What test_function_name_and_qualifier_validation keeps of an error: its code and either each
 * "Value '…' at '…' failed to satisfy constraint: …" (sorted, counted) or the message.
 */
function extracted(parsed: Parsed): Record<string, unknown> {
  const { Code, Message = '' } = parsed.Error;
  const detected = /^\d+ validation errors? detected: (.*)$/s.exec(Message);
  if (!detected) return { Code, Message };
  const errors = (detected[1] ?? '').split('; ').sort();
  return { Code, Count: errors.length, Errors: errors };
}

/**
 * test_function_name_and_qualifier_validation[<id>]: its id, its validation date, its input, what AWS answered.
 * Every `-invoke` entry of the snapshot but three left behind by ids the test no longer has
 * (`qualifier_too_long0`, `qualifier_too_long1`, `function_name_and_qualifier_too_long`, 2024-08-22).
 */
const INVOKE_NAME_ROWS: [
  id: string,
  validated: string,
  input: { FunctionName: string; Qualifier?: string },
  recorded: object,
][] = [
  [
    'invalid_characters_in_function_name-invoke',
    '2025-11-25',
    { FunctionName: 'my-function!' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'my-function!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'function_name_is_single_invalid-invoke',
    '2025-11-25',
    { FunctionName: '*' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value '*' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'invalid_characters_in_qualifier-invoke',
    '2025-11-25',
    { FunctionName: 'my-function', Qualifier: 'invalid!' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`,
      ],
    },
  ],
  [
    'qualifier_too_long-invoke',
    '2025-11-25',
    { FunctionName: 'my-function', Qualifier: '<a:len(129)>' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        "Value '<a:len(129)>' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128",
      ],
    },
  ],
  [
    'invalid_account_id_in_partial_arn-invoke',
    '2025-11-25',
    { FunctionName: 'invalid-account:function:my-function' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'invalid-account:function:my-function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'invalid_region_in_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:invalid-region:<account>:function:my-function' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda:invalid-region:111111111111:function:my-function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'non_lambda_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:ec2:<region>:<account>:instance:i-1234567890abcdef0' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:ec2:<region>:111111111111:instance:i-1234567890abcdef0' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'function_name_too_long-invoke',
    '2025-11-25',
    { FunctionName: '<a:len(65)>' },
    {
      Code: 'ResourceNotFoundException',
      Message: 'Function not found: arn:<partition>:lambda:<region>:111111111111:function:<a:len(65)>:$LATEST',
    },
  ],
  [
    'function_name_too_long_and_invalid_region-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:invalid-region:<account>:function:my-function<a:len(170)>' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda:invalid-region:111111111111:function:my-function<a:len(170)>' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'full_arn_and_qualifier_too_long_and_invalid_region-invoke',
    '2025-11-25',
    {
      FunctionName: 'arn:aws:lambda:invalid-region:<account>:function:my-function-<a:len(170)>',
      Qualifier: '<a:len(129)>',
    },
    {
      Code: 'ValidationException',
      Count: 2,
      Errors: [
        "Value '<a:len(129)>' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128",
        `Value 'arn:<partition>:lambda:invalid-region:111111111111:function:my-function-<a:len(170)>' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'full_arn_with_multiple_qualifiers-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>:<account>:function:my-function:1:2' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda:<region>:111111111111:function:my-function:1:2' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'incomplete_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>:<account>:function' },
    {
      Code: 'ResourceNotFoundException',
      Message: 'Function not found: arn:<partition>:lambda:<region>:111111111111:function:function:$LATEST',
    },
  ],
  [
    'partial_arn_with_extra_qualifier-invoke',
    '2025-11-25',
    { FunctionName: 'function:my-function:$LATEST:extra' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'function:my-function:$LATEST:extra' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'latest_version_with_additional_qualifier-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>:<account>:function:my-function:$LATEST', Qualifier: '1' },
    {
      Code: 'InvalidParameterValueException',
      Message: 'The derived qualifier from the function name does not match the specified qualifier.',
    },
  ],
  [
    'lowercase_latest_qualifier-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>:<account>:function:my-function', Qualifier: '$latest' },
    {
      Code: 'ResourceNotFoundException',
      Message: 'Function not found: arn:<partition>:lambda:<region>:111111111111:function:my-function:$latest',
    },
  ],
  [
    'missing_region_in_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda::<account>:function:my-function' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda::111111111111:function:my-function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'missing_account_id_in_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>::function:my-function' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda:<region>::function:my-function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
  [
    'misspelled_latest_in_arn-invoke',
    '2025-11-25',
    { FunctionName: 'arn:aws:lambda:<region>:<account>:function:my-function:$LATES' },
    {
      Code: 'ValidationException',
      Count: 1,
      Errors: [
        `Value 'arn:<partition>:lambda:<region>:111111111111:function:my-function:$LATES' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
      ],
    },
  ],
];

describe(`Invoke: names and qualifiers (test_lambda_api.py::TestLambdaFunction::test_function_name_and_qualifier_validation[*-invoke], ${LAMBDA_API_RECORDED})`, () => {
  it.each(INVOKE_NAME_ROWS)('[%s] (validated %s) answers as AWS recorded', async (_id, _validated, input, recorded) => {
    // Act
    const { status, errorType, text } = await invoke(expandAll(input));

    // Assess
    expect(extracted(parseRestJsonError(status, errorType, text))).toEqual(expandAll(recorded));
  });
});

describe(`Invoke: whole recorded errors, modeled members included (${LAMBDA_API_RECORDED}, ${LAMBDA_RECORDED})`, () => {
  it('test_lambda_api.py::TestLambdaFunction::test_invalid_invoke (validated 2025-11-25): a malformed ARN → 400 ValidationException', async () => {
    // Act
    const { status, errorType, text } = await invoke({
      FunctionName: `arn:aws:lambda:${REGION}:123400000000@function:myfn`,
    });

    // Assess
    expect(parseRestJsonError(status, errorType, text)).toEqual(
      expandAll({
        Error: {
          Code: 'ValidationException',
          Message: `1 validation error detected: Value 'arn:<partition>:lambda:<region>:123400000000@function:myfn' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
        },
        ResponseMetadata: { HTTPStatusCode: 400 },
      }),
    );
  });

  it('test_lambda.py::TestLambdaFeatures::test_invoke_exceptions (validated 2025-11-24): an unknown name → 404, its ARN with :$LATEST', async () => {
    // Act
    const { status, errorType, text } = await invoke({ FunctionName: 'doesnotexist' });

    // Assess
    const message = 'Function not found: arn:<partition>:lambda:<region>:111111111111:function:doesnotexist:$LATEST';
    expect(parseRestJsonError(status, errorType, text)).toEqual(
      expandAll({
        Error: { Code: 'ResourceNotFoundException', Message: message },
        Message: message,
        Type: 'User',
        ResponseMetadata: { HTTPStatusCode: 404 },
      }),
    );
  });

  it('test_lambda_api.py::TestLambdaFunction::test_get_function_wrong_region[invoke] (validated 2025-11-25): an ARN of another region → 404', async () => {
    // Prepare: the recording's test names an existing function by an ARN of another region.
    const fn = state.functions.find((candidate) => candidate.name === 'Payload')?.functionName ?? '';

    // Act
    const { status, errorType, text } = await invoke({
      FunctionName: `arn:aws:lambda:eu-central-1:${ACCOUNT}:function:${fn}`,
    });

    // Assess
    const message = "Functions from 'eu-central-1' are not reachable in this region ('<region>')";
    expect(parseRestJsonError(status, errorType, text)).toEqual(
      expandAll({
        Error: { Code: 'ResourceNotFoundException', Message: message },
        Message: message,
        Type: 'User',
        ResponseMetadata: { HTTPStatusCode: 404 },
      }),
    );
  });

  it('test_lambda_api.py::TestLambdaFunction::test_ops_with_arn_qualifier_mismatch (validated 2025-11-25): InvalidParameterValueException says `message`, lowercase', async () => {
    // Act: as latest_version_with_additional_qualifier-invoke; the whole error is recorded for GetFunction and DeleteFunction.
    const { status, errorType, text } = await invoke({
      FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:some-function:1`,
      Qualifier: '$LATEST',
    });

    // Assess
    const message = 'The derived qualifier from the function name does not match the specified qualifier.';
    expect(parseRestJsonError(status, errorType, text)).toEqual({
      Error: { Code: 'InvalidParameterValueException', Message: message },
      Type: 'User',
      message,
      ResponseMetadata: { HTTPStatusCode: 400 },
    });
  });

  const encodingRows: [label: string, payload: Buffer][] = [
    ['body', Buffer.from([0x6e, 0x87, 0x72, 0x9e, 0xe9, 0xb5, 0xd7, 0x49, 0xee, 0x9b, 0x6d, 0x74])],
    ['message', Buffer.from([0x99, 0xeb, 0x2c, 0x6a, 0x07, 0xa1, 0x7a, 0x59, 0x68])],
  ];
  it.each(encodingRows)(
    'test_lambda.py::TestLambdaErrors::test_lambda_invoke_payload_encoding_error[%s-…] (validated 2025-11-24): 400 InvalidRequestContentException, Type and `message`',
    async (_label, payload) => {
      // Prepare
      const fn = state.functions.find((candidate) => candidate.name === 'Payload')?.functionName ?? '';

      // Act
      const { status, errorType, text } = await invoke({ FunctionName: fn }, payload);

      // Assess: the parser's own words after the prefix are Jackson's on AWS, not reproduced.
      const message = expect.stringMatching(
        /^Could not parse request body into json: Could not parse payload into json: /,
      );
      expect(parseRestJsonError(status, errorType, text)).toEqual({
        Error: { Code: 'InvalidRequestContentException', Message: message },
        Type: 'User',
        message,
        ResponseMetadata: { HTTPStatusCode: 400 },
      });
    },
  );
});

describe(`Invoke: the raw body of a ValidationException (${RAW_VALIDATION_BODY})`, () => {
  it('is {"message":…} alone, as Lambda’s front end writes it', async () => {
    // Act
    const { status, errorType, text } = await invoke({ FunctionName: 'my-function!' });

    // Assess
    expect({ status, errorType }).toEqual({ status: 400, errorType: 'ValidationException' });
    expect(Object.keys(JSON.parse(text))).toEqual(['message']);
  });
});
