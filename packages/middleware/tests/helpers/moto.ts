import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { freePort } from './loopback.js';

/** Whether moto_server (a local stand-in for AWS APIs such as STS and CloudFormation) is installed. */
export const motoPresent = (() => {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const moto: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${url}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (up) return { url, stop: () => moto.kill() };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  moto.kill();
  throw new Error('moto_server did not start');
}
