import { Sha256 } from '@aws-crypto/sha256-js';
import { describe, expect, it } from 'vitest';
import { NodeCryptoSha256, parseQueryString, RequestSigner } from '../../src/index.js';
import { loadSuite, suiteDir, suitePresent } from '../helpers/sigv4-test-suite.js';

const cases = loadSuite().filter((c) => c.context.normalize);

const title = suitePresent
  ? 'official AWS SigV4 test suite (header auth, normalize: true)'
  : `official AWS SigV4 test suite: SKIPPED, ${suiteDir} is absent (a clone outside the workspace)`;

describe.skipIf(!suitePresent)(title, () => {
  it('has the cases it should', () => {
    // Assess: 38 cases in all, 31 of them with normalize: true (the 7 others test unnormalized paths, which execute-api never uses).
    expect(loadSuite()).toHaveLength(38);
    expect(cases).toHaveLength(31);
  });

  for (const hash of [Sha256, NodeCryptoSha256]) {
    describe(`with ${hash.name}`, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, suiteCase) => {
        // Prepare
        const { context } = suiteCase;
        const credentials = {
          accessKeyId: context.credentials.access_key_id,
          secretAccessKey: context.credentials.secret_access_key,
          ...(context.credentials.token && !context.omit_session_token
            ? { sessionToken: context.credentials.token }
            : {}),
        };
        const signer = new RequestSigner({
          credentials: async () => credentials,
          sha256: hash,
          applyChecksum: context.sign_body,
        });
        const { host = '', ...headers } = suiteCase.headers;

        // Act
        const signed = await signer.sign(
          {
            method: suiteCase.method,
            protocol: 'https:',
            hostname: host,
            path: suiteCase.path,
            query: parseQueryString(suiteCase.query),
            headers,
            body: suiteCase.body.length > 0 ? suiteCase.body : undefined,
          },
          { service: context.service, region: context.region, unsignedPayload: false },
          new Date(context.timestamp),
        );

        // Assess
        const expectedAuthorization = /^Authorization:(.*)$/m.exec(suiteCase.read('header-signed-request.txt'))?.[1];
        expect(signed.authorization).toBe(expectedAuthorization);
        expect(signed.authorization?.endsWith(`Signature=${suiteCase.read('header-signature.txt').trim()}`)).toBe(true);
      });
    });
  }
});
