import { randomUUID } from 'node:crypto';
import { AwsError, type ErrorShape } from '../../aws-error.js';
import type { LocalResponse } from '../../http.js';

/** STS's XML namespace, in every answer. */
export const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export const escapeXml = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** STS's error body: `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>…`. */
const stsShape = (code: string): ErrorShape => ({
  contentType: 'text/xml',
  body: (message) =>
    `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`,
});

/** An STS error answer: its status, its code (the SDKs' error name) and message, in STS's XML. */
export const stsError = (status: number, code: string, message: string): AwsError =>
  new AwsError(status, code, message, stsShape(code));

/** 400 `ValidationError`, as STS answers a parameter outside its constraints. */
export const validationError = (message: string): AwsError => stsError(400, 'ValidationError', message);

/** 400 `InvalidParameterValue`: a value STS refuses for what it means, not for its form. */
export const invalidParameterValue = (message: string): AwsError => stsError(400, 'InvalidParameterValue', message);

/** 400 `MalformedPolicyDocument` (AssumeRole API reference, Errors). */
export const malformedPolicyDocument = (message: string): AwsError => stsError(400, 'MalformedPolicyDocument', message);

/** 403 `AccessDenied` in IAM's words: `User: <arn> is not authorized to perform: <action> on resource: <arn>…`. */
export const accessDenied = (callerArn: string, action: string, resource: string, suffix = ''): AwsError =>
  stsError(
    403,
    'AccessDenied',
    `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource}${suffix}`,
  );

/** A successful answer: `<{Action}Response><{Action}Result>…</{Action}Result><ResponseMetadata>…`. */
export const ok = (action: string, result: string): LocalResponse => ({
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body: `<${action}Response xmlns="${XMLNS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
});
