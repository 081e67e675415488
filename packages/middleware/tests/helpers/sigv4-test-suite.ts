import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One case of the official AWS SigV4 test suite (awslabs/aws-c-auth, v4). */
export interface SuiteCase {
  name: string;
  context: {
    credentials: { access_key_id: string; secret_access_key: string; token?: string };
    region: string;
    service: string;
    timestamp: string;
    normalize: boolean;
    sign_body: boolean;
    omit_session_token?: boolean;
  };
  method: string;
  /** The request-line target, as the suite writes it (the path the signer encodes once). */
  path: string;
  query: string;
  /** Lower-case names; repeated headers joined with `,`, folded lines joined with a space. */
  headers: Record<string, string>;
  /** Header lines as written: names as written, repeats kept, folded lines joined with a space. */
  headerLines: [string, string][];
  body: Buffer;
  read(file: string): string;
  /** The request the suite signed (`header-signed-request.txt` or `query-signed-request.txt`), parsed. */
  signed(kind: 'header' | 'query'): ParsedRequest;
}

export type ParsedRequest = Pick<SuiteCase, 'method' | 'path' | 'query' | 'headers' | 'headerLines' | 'body'>;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pnpm-workspace.yaml not found above the tests');
    dir = parent;
  }
  return dir;
}

/**
 * The official AWS SigV4 test suite, vendored with its LICENSE and NOTICE (Apache-2.0) in
 * `packages/middleware/tests/fixtures/sigv4-test-suite`, so every clone runs it; `SIGV4_TEST_SUITE`
 * names another copy.
 */
export const suiteDir =
  process.env.SIGV4_TEST_SUITE ??
  resolve(findRepoRoot(), 'packages', 'middleware', 'tests', 'fixtures', 'sigv4-test-suite');
export const suitePresent = existsSync(suiteDir);

function parseRequest(text: string): ParsedRequest {
  const split = text.indexOf('\n\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = Buffer.from(split === -1 ? '' : text.slice(split + 2), 'utf8');
  const [requestLine = '', ...headerLines] = head.split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1).replace(/ HTTP\/1\.1$/, '');
  const q = target.indexOf('?');
  const entries: [string, string][] = [];
  for (const line of headerLines) {
    if (line === '') continue;
    const last = entries.at(-1);
    if (/^\s/.test(line) && last) last[1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      entries.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  const headers: Record<string, string> = {};
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return {
    method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    headerLines: entries,
    body,
  };
}

/** Every case of the suite, read from disk; empty when the suite is absent. */
export function loadSuite(): SuiteCase[] {
  if (!suitePresent) return [];
  return readdirSync(suiteDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map(({ name }) => {
      const read = (file: string) => readFileSync(join(suiteDir, name, file), 'utf8');
      return {
        name,
        context: JSON.parse(read('context.json')),
        ...parseRequest(read('request.txt')),
        read,
        signed: (kind: 'header' | 'query') => parseRequest(read(`${kind}-signed-request.txt`)),
      };
    });
}
