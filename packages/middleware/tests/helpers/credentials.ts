/** Fake credentials, in the shape of real ones; nothing here is valid on AWS. */
export const testCredentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtestSessionToken',
};

/** Every string a test checks never leaks. */
export const secretsOf = (credentials: { secretAccessKey: string; sessionToken?: string }): string[] =>
  [credentials.secretAccessKey, credentials.sessionToken].filter((s): s is string => Boolean(s));
