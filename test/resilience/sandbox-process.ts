/**
 * The real `npm start` as a child process (as test/support/npm-start.ts starts it), with what a
 * crash test needs besides: every output line as it is written, and `kill -9` of the whole process
 * group (npm, sh, tsx, node) at a moment the test picks.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT, freePort } from '../support/npm-start.js';

export interface SandboxProcess {
  url: string;
  output(): string;
  /** SIGKILL to the process group; resolves once the sandbox's process has exited. */
  kill(): Promise<void>;
  /** Ctrl+C (SIGINT to the group), SIGKILL if it hangs. */
  stop(): Promise<void>;
}

export async function startSandboxProcess(env: Record<string, string>, onLine: (line: string) => void = () => undefined): Promise<SandboxProcess> {
  const port = await freePort();
  let output = '';
  let partial = '';
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), SES_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const take = (d: Buffer) => {
    const text = d.toString();
    output += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200 && output.includes('Press Ctrl+C to stop.')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      signal('SIGKILL');
      throw new Error(`npm start did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => output,
    kill: async () => {
      signal('SIGKILL');
      await exited;
      // npm is gone; wait for the rest of the group too (the node that holds the data dir's locks).
      for (;;) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGINT');
      const timer = setTimeout(() => signal('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
