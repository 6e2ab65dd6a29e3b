// The device side: install.sh staged into a folder (no users, npm or systemctl), the unit it
// installs checked by `systemd-analyze verify` and `security --offline` where systemd is present
// and by a directive parser always, the udev rule parsed, and /etc/cleave/agent.yaml validated
// by the agent's own option schema.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveAgentOptions } from '@cleave/edge-agent';
import { parse } from 'yaml';
import { ROOT } from './k8s-support.js';
import { unitDirectives as directives } from './systemd-unit.js';

const EDGE = join(ROOT, 'deploy', 'edge');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('deploy - edge: install script, systemd unit, udev rule, agent.yaml', { timeout: 60_000 }, () => {
  let stage = '';
  before(() => {
    stage = mkdtempSync(join(tmpdir(), 'cleave-stage-'));
    const r = spawnSync(
      'bash',
      [
        join(EDGE, 'install.sh'),
        '--destdir',
        stage,
        '--cloud',
        'ipv4:10.0.0.1:50051,10.0.0.2:50051',
        '--group',
        'field',
        '--id',
        'jetson-07',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });
  after(() => rmSync(stage, { recursive: true, force: true }));

  it('deploy - install.sh stages the runtime, configuration, unit and udev rule', (t) => {
    assert.equal(spawnSync('bash', ['-n', join(EDGE, 'install.sh')]).status, 0, 'bash -n');
    if (has('shellcheck')) {
      const sc = spawnSync('shellcheck', [join(EDGE, 'install.sh')], { encoding: 'utf8' });
      assert.equal(sc.status, 0, sc.stdout);
    } else t.diagnostic('shellcheck not installed: bash -n only');
    const opt = join(stage, 'opt', 'cleave');
    for (const f of [
      'cli/bin/cleave.js',
      'package-lock.json',
      '.npmrc',
      'test/package.json',
      'models/fmnist-c6b2/manifest.json',
    ])
      assert.ok(existsSync(join(opt, f)), f);
    assert.ok(
      !existsSync(join(opt, 'training')) && !existsSync(join(opt, 'test', 'e2e')),
      'no tests or training',
    );
    const tests = spawnSync('find', [opt, '-name', '*.test.ts'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(tests, '', 'no unit tests on the device');
    const env = readFileSync(join(stage, 'etc/cleave/agent.env'), 'utf8');
    assert.match(env, /^CLEAVE_AGENT_ID=jetson-07$/m);
    const dropIn = readFileSync(join(stage, 'etc/systemd/system/cleave-agent.service.d/group.conf'), 'utf8');
    assert.match(dropIn, /^ExecStart=$/m, 'the drop-in clears ExecStart before replacing it');
    assert.match(dropIn, /--group field$/m);
    assert.ok(existsSync(join(stage, 'etc/udev/rules.d/99-cleave-power.rules')));
  });

  it('deploy - /etc/cleave/agent.yaml passes the agent option schema', () => {
    const staged = parse(readFileSync(join(stage, 'etc/cleave/agent.yaml'), 'utf8'));
    const shipped = parse(readFileSync(join(EDGE, 'agent.yaml'), 'utf8'));
    for (const cfg of [shipped, staged]) {
      assert.deepEqual(Object.keys(cfg).sort(), ['agent', 'http']);
      const o = resolveAgentOptions(cfg.agent);
      assert.equal(o.cloud.balancing, 'round_robin');
      assert.ok(o.cloud.streams >= 2);
      assert.deepEqual(Object.keys(cfg.http).sort(), ['host', 'maxBodyBytes', 'port']);
      assert.equal(cfg.http.host, '127.0.0.1', 'the API stays on the device');
      const bundle = basename(o.bundleDir);
      assert.ok(existsSync(join(ROOT, 'models', bundle, 'manifest.json')), `shipped bundle ${bundle}`);
    }
    assert.equal(staged.agent.cloud.target, 'ipv4:10.0.0.1:50051,10.0.0.2:50051', '--cloud written');
  });

  it('deploy - the unit: dedicated user, Restart=on-failure, hardened sandbox (parser)', () => {
    const d = directives(readFileSync(join(EDGE, 'cleave-agent.service'), 'utf8'));
    const get = (key: string) => d.filter(([, k]) => k === key).map(([, , v]) => v);
    const service = (key: string) => d.find(([s, k]) => s === 'Service' && k === key)?.[2];
    assert.equal(service('User'), 'cleave');
    assert.equal(service('Restart'), 'on-failure');
    assert.match(service('ExecStart')!, /cli\/bin\/cleave\.js agent --config \/etc\/cleave\/agent\.yaml/);
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      CapabilityBoundingSet: '',
    }))
      assert.equal(service(k), v, `${k}=${v}`);
    assert.ok(get('SystemCallFilter').includes('@system-service'));
    assert.ok(get('SupplementaryGroups')[0]!.split(' ').includes('cleave-power'));
    assert.equal(get('StartLimitBurst').length, 1);
    assert.ok(
      d.some(([s, k]) => s === 'Unit' && k === 'StartLimitIntervalSec'),
      'start limits belong to [Unit]',
    );
    assert.equal(service('StateDirectory'), 'cleave');
  });

  it('deploy - the unit passes systemd-analyze verify and security --offline', (t) => {
    assert.ok(
      has('systemd-analyze'),
      'systemd-analyze is missing: scripts/ensure-system-deps.sh installs systemd',
    );
    const unit = join(stage, 'etc/systemd/system/cleave-agent.service');
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 30_000 });
    const complaints = `${verify.stdout}${verify.stderr}`
      .split('\n')
      .filter((l) => l.includes('cleave-agent'));
    assert.equal(verify.status, 0, verify.stderr);
    assert.deepEqual(complaints, []);
    const sec = spawnSync('systemd-analyze', ['security', '--offline=true', unit], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const m = /Overall exposure level for cleave-agent\.service: ([\d.]+)/.exec(sec.stdout);
    assert.ok(m, sec.stdout + sec.stderr);
    t.diagnostic(`systemd exposure level ${m[1]} (0 safest, 10 unsafe)`);
    assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]} ≤ 2.0`);
  });

  it('deploy - the udev rule: well-formed keys, read-only grants to the unit’s group', () => {
    const rules = readFileSync(join(EDGE, '99-cleave-power.rules'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.ok(rules.length >= 3);
    const keys = new Set(['ACTION', 'SUBSYSTEM', 'KERNEL', 'ATTR', 'ATTRS', 'RUN', 'GROUP', 'MODE']);
    const covered = new Set<string>();
    for (const rule of rules) {
      const tokens = rule.split(/,\s+(?=[A-Z]+[{=!+:])/);
      let matches = 0;
      let assigns = 0;
      for (const token of tokens) {
        const m = /^([A-Z]+)(\{[\w-]+\})?(==|!=|\+=|:=|=)"([^"]*)"$/.exec(token.trim());
        assert.ok(m, `udev token: ${token}`);
        assert.ok(keys.has(m[1]!), `known key ${m[1]}`);
        if (m[3] === '==' || m[3] === '!=') matches++;
        else assigns++;
        if (m[1] === 'RUN') {
          assert.doesNotMatch(m[4]!, /[go]\+w|o\+r|chmod [0-7]*[2367]\b/, 'grants read only, to the group');
          assert.match(m[4]!, /chgrp cleave-power/);
        }
        if (m[1] === 'SUBSYSTEM' || m[1] === 'KERNEL') covered.add(m[4]!);
      }
      assert.ok(matches > 0 && assigns > 0, `a rule matches and assigns: ${rule}`);
    }
    for (const s of ['hwmon', 'iio', 'powercap', 'vcio']) assert.ok(covered.has(s), `covers ${s}`);
    assert.ok(readdirSync(EDGE).includes('install.sh'));
    assert.match(readFileSync(join(EDGE, 'install.sh'), 'utf8'), /groupadd --system cleave-power/);
  });
});
