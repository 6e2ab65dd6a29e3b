// A systemd unit file read as its directives, and what it says about the process it starts.
import assert from 'node:assert/strict';

/** [section, key, value] of every directive in a systemd unit. */
export function unitDirectives(text: string): [string, string, string][] {
  let section = '';
  const out: [string, string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) section = s[1]!;
    else {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      assert.ok(m && section, `a directive in a section: ${line}`);
      out.push([section, m[1]!, m[2]!]);
    }
  }
  return out;
}

/** What [Service] gives the process: its command line, environment files and variables, folder. */
export interface ServiceExec {
  argv: string[];
  workingDirectory: string;
  /** Environment= assignments, in order. */
  environment: Record<string, string>;
  /** EnvironmentFile= paths; `optional` for a leading "-". */
  environmentFiles: { path: string; optional: boolean }[];
}

export function serviceExec(unitText: string): ServiceExec {
  const service = unitDirectives(unitText).filter(([s]) => s === 'Service');
  const values = (key: string) => service.filter(([, k]) => k === key).map(([, , v]) => v);
  // An empty ExecStart= clears the earlier ones (drop-ins); the last one stands.
  const exec = values('ExecStart').at(-1);
  assert.ok(exec, 'the unit has an ExecStart');
  const environment: Record<string, string> = {};
  for (const line of values('Environment')) {
    for (const pair of line.split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      environment[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return {
    argv: exec.split(/\s+/),
    workingDirectory: values('WorkingDirectory').at(-1) ?? '/',
    environment,
    environmentFiles: values('EnvironmentFile').map((v) =>
      v.startsWith('-') ? { path: v.slice(1), optional: true } : { path: v, optional: false },
    ),
  };
}

/** KEY=VALUE lines of an environment file; comments and blank lines skipped. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}
