// The `cleave` command. Each subcommand is real; `cleave help` lists them.
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

type Command = (argv: string[]) => Promise<number>;

// Each command's module loads only when it runs: `cleave fleet status` need not load ONNX Runtime,
// gRPC and OpenTelemetry, and `cleave --help` answers at once.
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  agent: async () => (await import('./commands/agent.js')).agentCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  calibrate: async () => (await import('./commands/calibrate.js')).calibrateCommand,
  eval: async () => (await import('./commands/eval.js')).evalCommand,
  fleet: async () => (await import('./commands/fleet.js')).fleetCommand,
  split: async () => (await import('./commands/split.js')).splitCommand,
  profile: async () => (await import('./commands/profile.js')).profileCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`cleave: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return (await load())(rest);
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
