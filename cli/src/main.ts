// The `cleave` command. Each subcommand is real; `cleave help` lists them.
import { agentCommand } from './commands/agent.js';
import { benchCommand } from './commands/bench.js';
import { calibrateCommand } from './commands/calibrate.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { fleetCommand } from './commands/fleet.js';
import { profileCommand } from './commands/profile.js';
import { serveCommand } from './commands/serve.js';
import { splitCommand } from './commands/split.js';

const HELP = `cleave <command> [options]

  serve     the cloud tail server (gRPC, KServe v2 HTTP)
  agent     the edge agent daemon with its local HTTP API
  demo      server + agent in one process over the Fashion-MNIST test set (npm start)
  calibrate re-derive a bundle's gate thresholds on the validation split
  eval      a bundle's accuracy and cascade coverage on the test split
  bench     benchmarks: \`cleave bench serve\`
  fleet     fleet control over NATS: agents, configuration, model rollout
  split     bring your own ONNX model: cut it at a valid cut point into a bundle
  profile   every valid cut of an ONNX model: latency, bytes, energy; the best for a link

Run \`cleave <command> --help\` for its options.
`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  agent: agentCommand,
  demo: demoCommand,
  bench: benchCommand,
  calibrate: calibrateCommand,
  eval: evalCommand,
  fleet: fleetCommand,
  split: splitCommand,
  profile: profileCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`cleave: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return command(rest);
}

const DAEMONS = new Set(['serve', 'agent', 'demo']);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // These have drained and flushed their telemetry; an exporter's retry timer must not keep
    // the process alive after that.
    if (DAEMONS.has(process.argv[2] ?? '')) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`cleave: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
