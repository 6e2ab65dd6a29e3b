// The compose stack and the two Dockerfiles, checked without a Docker engine (none runs here):
// the compose file parsed with its anchors and merge keys, every service, build, mount,
// dependency, port and flag cross-checked; Prometheus' config through promtool; the Dockerfiles'
// stages, user, EXPOSE, HEALTHCHECK and build context.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import { SERVE_NODE_FLAGS } from '@cleave/cli/serve-heap';
import { parse } from 'yaml';
import { ROOT } from './k8s-support.js';

const COMPOSE_DIR = join(ROOT, 'deploy', 'compose');
const DOCKER_DIR = join(ROOT, 'deploy', 'docker');
// biome-ignore lint/suspicious/noExplicitAny: a compose file, checked field by field below
const compose: any = parse(readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8'), { merge: true });
const services = compose.services as Record<string, Record<string, unknown> & { command?: string[] }>;
const flagsOf = (file: string) =>
  new Set(readFileSync(join(ROOT, 'cli/src/commands', file), 'utf8').match(/--[a-z-]+/g));
const flagValue = (cmd: string[], flag: string) => cmd[cmd.indexOf(flag) + 1];

interface Dockerfile {
  stages: { from: string; lines: string[] }[];
}
function readDockerfile(name: string): Dockerfile {
  const text = readFileSync(join(DOCKER_DIR, name), 'utf8').replace(/\\\n/g, ' ');
  const stages: Dockerfile['stages'] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (/^FROM\s/i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return { stages };
}
const instr = (lines: string[], name: string) => lines.filter((l) => l.toUpperCase().startsWith(`${name} `));

describe('deploy - compose and Dockerfiles', () => {
  it('deploy - the stack has server, two agents, nats, prometheus, grafana and tempo', () => {
    for (const s of ['server', 'agent-1', 'agent-2', 'nats', 'prometheus', 'grafana', 'tempo'])
      assert.ok(services[s], `service ${s}`);
    const hostPorts = Object.values(services).flatMap((s) =>
      ((s.ports as string[]) ?? []).map((p) => p.split(':')[0]),
    );
    assert.equal(new Set(hostPorts).size, hostPorts.length, 'no host port published twice');
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries(
        (s.depends_on ?? {}) as Record<string, { condition: string }>,
      )) {
        assert.ok(services[dep], `${name} depends on ${dep}, a service`);
        if (cond.condition === 'service_healthy') {
          const build = services[dep]!.build as { dockerfile: string } | undefined;
          const hasCheck =
            services[dep]!.healthcheck !== undefined ||
            (build && readFileSync(join(ROOT, build.dockerfile), 'utf8').includes('HEALTHCHECK'));
          assert.ok(hasCheck, `${dep} has a health check for ${name} to wait on`);
        }
      }
    }
  });

  it('deploy - builds, mounts and commands point at things that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      const build = s.build as { context: string; dockerfile: string } | undefined;
      if (build) {
        assert.equal(resolve(COMPOSE_DIR, build.context), ROOT, `${name} builds from the repository root`);
        assert.ok(existsSync(join(ROOT, build.dockerfile)), build.dockerfile);
      }
      for (const v of (s.volumes as string[]) ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(resolve(COMPOSE_DIR, source)), `${name}: ${source}`);
      }
    }
    const serve = services.server!.command!;
    const agentFlags = flagsOf('agent.ts');
    for (const f of serve.filter((a) => a.startsWith('--')))
      assert.ok(flagsOf('serve.ts').has(f), `cleave serve ${f}`);
    for (const a of ['agent-1', 'agent-2']) {
      const cmd = services[a]!.command!;
      assert.equal(cmd[0], 'agent');
      for (const f of cmd.filter((x) => x.startsWith('--')))
        assert.ok(agentFlags.has(f), `cleave agent ${f}`);
      assert.equal(
        flagValue(cmd, '--cloud'),
        `dns:///server:${flagValue(serve, '--advertise')!.split(':')[1]}`,
      );
      assert.equal(flagValue(cmd, '--nats'), 'nats://nats:4222');
      const env = services[a]!.environment as Record<string, string>;
      assert.equal(env.CLEAVE_AGENT_ID, a);
      assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://tempo:4318', 'merge key applied');
    }
    assert.ok((services.server!.ports as string[]).includes('50051:50051'));
  });

  it('deploy - Prometheus scrapes the compose services (promtool check config)', () => {
    const promPath = join(COMPOSE_DIR, 'prometheus.yml');
    const prom = parse(readFileSync(promPath, 'utf8'));
    const targets = prom.scrape_configs.flatMap((j: { static_configs: { targets: string[] }[] }) =>
      j.static_configs.flatMap((s) => s.targets),
    ) as string[];
    assert.ok(targets.includes('server:8000'));
    assert.ok(targets.includes('agent-1:8470') && targets.includes('agent-2:8470'));
    for (const target of targets) assert.ok(services[target.split(':')[0]!], `${target} is a service`);
    const r = spawnSync('promtool', ['check', 'config', promPath], { encoding: 'utf8' });
    assert.ok(!r.error, 'promtool is missing: scripts/ensure-system-deps.sh installs prometheus');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('deploy - Grafana loads the shipped dashboard against the provisioned Prometheus; Tempo takes OTLP', () => {
    const script = (services.grafana!.entrypoint as string[]).at(-1)!.replaceAll('$$', '$');
    const m = /sed 's\/\$\{DS_PROMETHEUS\}\/([^/]+)\/g' (\S+) > (\S+)\/cleave\.json/.exec(script);
    assert.ok(m, script);
    const ds = parse(
      readFileSync(join(COMPOSE_DIR, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8'),
    );
    assert.ok(
      ds.datasources.some((d: { uid: string; type: string }) => d.uid === m[1] && d.type === 'prometheus'),
    );
    const dash = parse(
      readFileSync(join(COMPOSE_DIR, 'grafana/provisioning/dashboards/dashboards.yaml'), 'utf8'),
    );
    assert.equal(dash.providers[0].options.path, m[3]);
    const mounted = (services.grafana!.volumes as string[]).find((v) => v.split(':')[1] === m[2])!;
    const dashboard = readFileSync(resolve(COMPOSE_DIR, mounted.split(':')[0]!), 'utf8');
    assert.ok(dashboard.includes(`\${DS_PROMETHEUS}`), 'the shipped dashboard uses the import input');
    const tempo = parse(readFileSync(join(COMPOSE_DIR, 'tempo.yaml'), 'utf8'));
    assert.equal(tempo.distributor.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
  });

  for (const [file, ports, health] of [
    ['cloud-server.Dockerfile', ['50051', '8000'], '/v2/health/ready'],
    ['edge-agent.Dockerfile', ['8470'], '/healthz'],
  ] as const) {
    it(`deploy - ${file}: multi-stage on node:20-slim, production deps, non-root, EXPOSE and HEALTHCHECK`, () => {
      const { stages } = readDockerfile(file);
      const text = readFileSync(join(DOCKER_DIR, file), 'utf8');
      assert.match(text, /^ARG NODE_VERSION=20$/m);
      assert.ok(stages.length >= 2, 'multi-stage');
      for (const s of stages) assert.match(s.from, /node:\$\{NODE_VERSION\}-slim/);
      const deps = stages[0]!.lines.join('\n');
      assert.match(deps, /npm ci --omit=dev/);
      assert.match(deps, /--cpu="\$cpu"/, 'dependencies for the target architecture');
      const final = stages.at(-1)!.lines;
      const user = instr(final, 'USER').at(-1);
      assert.ok(user && !/USER\s+(root|0)\b/.test(user), `non-root: ${user}`);
      assert.deepEqual(
        instr(final, 'EXPOSE').flatMap((l) => l.split(/\s+/).slice(1)),
        [...ports],
      );
      const hc = instr(final, 'HEALTHCHECK')[0]!;
      const probe = JSON.parse(hc.slice(hc.indexOf('CMD') + 3).trim()) as string[];
      assert.deepEqual(probe.slice(0, 2), ['node', '-e']);
      assert.ok(probe[2]!.includes(health));
      new Script(probe[2]!); // the probe is valid JavaScript
      const entrypoint = instr(final, 'ENTRYPOINT')[0]!;
      assert.match(entrypoint, /cli\/bin\/cleave\.js/);
      // The tail service starts node with the server's young generation (cli/src/serve-heap.ts).
      if (file === 'cloud-server.Dockerfile') {
        const argv = JSON.parse(entrypoint.slice('ENTRYPOINT'.length).trim()) as string[];
        assert.deepEqual(argv.slice(0, 1 + SERVE_NODE_FLAGS.length), ['node', ...SERVE_NODE_FLAGS]);
      }
      assert.ok(existsSync(join(ROOT, 'cli/bin/cleave.js')));
      // Every COPY source exists and is let through by the Dockerfile's own .dockerignore.
      const ignore = readFileSync(join(DOCKER_DIR, `${file}.dockerignore`), 'utf8');
      for (const copy of stages.flatMap((s) => instr(s.lines, 'COPY')).filter((l) => !l.includes('--from'))) {
        for (const src of copy.split(/\s+/).slice(1, -1)) {
          assert.ok(existsSync(join(ROOT, src)), `${file}: COPY ${src}`);
          assert.ok(ignore.includes(`!${src}\n`), `${file}: ${src} allowed by the .dockerignore`);
        }
      }
      // Every workspace is in the image, or at least its package.json (test/): \`npm ci\` installs
      // them all from the lockfile, and the CLI imports the libraries at start-up.
      const copied = stages
        .flatMap((s) => instr(s.lines, 'COPY'))
        .filter((l) => !l.includes('--from'))
        .flatMap((l) => l.split(/\s+/).slice(1, -1));
      const workspaces = (
        JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
      ).workspaces;
      for (const ws of workspaces.map((w) => w.replace(/\/\*$/, ''))) {
        assert.ok(
          copied.includes(ws) || copied.includes(`${ws}/package.json`),
          `${file}: workspace ${ws} is copied into the image`,
        );
      }
    });
  }
});
