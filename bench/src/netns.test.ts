import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINK_PROFILES } from './link-profiles.js';
import { netemArgs, netnsNames, qdiscCommands, type RunCommand, setupCommands, setupNetns } from './netns.js';

test('netem arguments carry delay, rate and loss of each link profile', () => {
  assert.deepEqual(netemArgs(LINK_PROFILES.lte), ['delay', '40ms', 'rate', '5mbit', 'loss', '0.1%']);
  assert.deepEqual(netemArgs(LINK_PROFILES['3g']), ['delay', '100ms', 'rate', '1mbit']);
  const n = netnsNames(4242);
  assert.ok(n.edgeIf.length <= 15 && n.cloudIf.length <= 15);
  const [edge, cloud] = qdiscCommands(n, LINK_PROFILES.wifi, 'add');
  assert.deepEqual(edge!.slice(0, 8), ['tc', '-n', n.edge, 'qdisc', 'add', 'dev', n.edgeIf, 'root']);
  assert.equal(cloud![2], n.cloud);
  // Each side's veth ends in its own namespace, addressed on one /30.
  const cmds = setupCommands(n).map((c) => c.join(' '));
  assert.ok(cmds.includes(`ip link set ${n.edgeIf} netns ${n.edge}`));
  assert.ok(cmds.includes(`ip -n ${n.cloud} addr add ${n.cloudAddr}/30 dev ${n.cloudIf}`));
});

test('a failed step is reported with its command and exact output, and what was made is removed', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('setupNetns refuses before running anything without root');
  const ran: string[] = [];
  const run: RunCommand = async (argv) => {
    ran.push(argv.join(' '));
    if (argv[0] === 'tc') return { code: 2, output: 'Error: Specified qdisc kind is unknown.' };
    return { code: 0, output: '' };
  };
  await assert.rejects(setupNetns(LINK_PROFILES.lte, { tag: 77, run }), (e: Error) => {
    assert.match(
      e.message,
      /`tc -n cleave-bench-edge-77 qdisc add .* netem delay 40ms rate 5mbit loss 0.1%` failed/,
    );
    assert.match(e.message, /Specified qdisc kind is unknown/);
    return true;
  });
  assert.deepEqual(ran.slice(-2), [
    'ip netns del cleave-bench-edge-77',
    'ip netns del cleave-bench-cloud-77',
  ]);
});
