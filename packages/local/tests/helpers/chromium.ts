import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

// A page in Debian's headless Chromium, driven over the DevTools protocol on a pipe
// (`--remote-debugging-pipe`: JSON messages ended by a NUL byte on fds 3 and 4), with no
// library: enough to load a page, wait, and read its DOM as it changes.

/** An open page: evaluate an expression in it, close it. */
export interface BrowserPage {
  evaluate<T>(expression: string): Promise<T>;
  /** Resolves once `expression` is truthy in the page (polled), or rejects after `timeoutMs`. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens `url` in a new headless Chromium (`binary`). */
export async function openPage(binary: string, url: string): Promise<BrowserPage> {
  const child: ChildProcess = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  const commands = child.stdio[3] as Writable;
  const answers = child.stdio[4] as Readable;
  const pending = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();
  let buffered = '';
  answers.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let end = buffered.indexOf('\0'); end !== -1; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
  let id = 0;
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const message = { id: ++id, method, params, ...(sessionId ? { sessionId } : {}) };
      pending.set(message.id, (answer) =>
        answer.error ? reject(new Error(`${method}: ${JSON.stringify(answer.error)}`)) : resolve(answer.result ?? {}),
      );
      commands.write(`${JSON.stringify(message)}\0`);
    });
  const { targetId } = (await send('Target.createTarget', { url })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const evaluate = async <T>(expression: string): Promise<T> => {
    const { result } = (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as {
      result: { value: T };
    };
    return result.value;
  };
  return {
    evaluate,
    async waitFor(expression, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
        if (Date.now() > deadline) throw new Error(`the page never showed ${expression}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => child.kill(),
  };
}

/** How the tests run Chromium: headless, without a sandbox, GPU or /dev/shm (containers). */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

/**
 * Debian's Chromium, where this machine has one that starts (a blank page rendered); else ''
 * and one line saying that `which` does not run.
 */
export function startableChromium(which: string): string {
  try {
    const binary = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
    execFileSync(binary, [...CHROMIUM_FLAGS, '--dump-dom', 'about:blank'], { stdio: 'ignore', timeout: 60_000 });
    return binary;
  } catch {
    console.warn(`no chromium that starts on this machine (apt-get install chromium): ${which} does not run`);
    return '';
  }
}
