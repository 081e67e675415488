/**
 * Suite-wide secrets check, a setup file of every test project: it records every line the
 * tests write (stdout, stderr, console) and fails the file if any holds a secret: a test
 * secret key or session token, an Authorization header or a signature value.
 */
import { afterAll } from 'vitest';

const FORBIDDEN: [string, RegExp][] = [
  ['an Authorization header', /AWS4-HMAC-SHA256 Credential=/],
  ['a signature value', /Signature=[0-9a-f]{64}/],
  ['a test secret access key', /wJalrXUtnFEMI\/K7MDENG|requestorSecretKeyEXAMPLE|differentialSecretKeyEXAMPLE/],
  ['a test session token', /IQoJb3JpZ2luX2VjEXAMPLE|requestorSessionTokenEXAMPLE|differentialSessionToken/],
];

const written: string[] = [];
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    written.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    written.push(
      args
        .map((arg) =>
          arg instanceof Error ? `${arg.message}\n${arg.stack}` : typeof arg === 'string' ? arg : JSON.stringify(arg),
        )
        .join(' '),
    );
    original(...args);
  };
}

afterAll(() => {
  const text = written.join('\n');
  const leaks = FORBIDDEN.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
  if (leaks.length > 0) throw new Error(`The tests of this file wrote ${leaks.join(', ')} to a log or an error.`);
});
