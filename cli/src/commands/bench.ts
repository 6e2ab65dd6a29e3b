// `cleave bench [run|serve|soak]`: benchmarks that write JSON. Figures come from here, not from
// tests. The harness is @cleave/bench; this command hands it the ways to start the CLI's own
// processes (`cleave serve`, `cleave bench edge`).
import {
  benchRun,
  benchServe,
  benchSoak,
  benchStream,
  benchWire,
  createCleaveLauncher,
  edgeCommand,
} from '@cleave/bench';
import { CLI_BIN } from '../paths.js';
import { startServeProcess } from '../serve-process.js';

const HELP =
  'cleave bench [run|serve|soak|stream|wire] [options]\n\n' +
  '  run     (the default; npm run bench) every strategy side by side over emulated links, per device and\n' +
  '          camera rate, the rate/accuracy pass and N agents against one server; --quick for CI (--help)\n' +
  '  serve   `cleave serve` pinned to its cores (taskset) against the raw tail on the same cores: server CPU per\n' +
  '          request vs. raw CPU per inference (/proc), rate per server core, batching on and off, and the same\n' +
  '          load against the transport alone (an echo server); median and min/max of --reps 5 (--seconds 8\n' +
  '          after --warmup 30, --agents 64, --in-flight 32, --server-cpus 0, --load-cpus 1, --no-pin, --no-bundle,\n' +
  '          --workers, --fc-tail W, --server-profile DIR, --note TEXT, --json FILE)\n' +
  '  soak    a server and an agent under steady load: --fault-free-minutes (10), then --kill-minutes (5) with the server SIGKILLed every --fault-every-s (60): fitted RSS growth, peaks, lost requests, event-loop delay\n' +
  '  stream  camera and video sources: raw head rate vs. frames per second with --sources (1,4,8), frame age of live sources, the skip threshold against accuracy, and --overload-minutes N into a slowed head (RSS over time)\n' +
  '  wire    every byte per offload through a byte-counting proxy, per shipped bundle: frame, message, HTTP/2, TCP\n' +
  '          payload and segments each way, radio energy on socket bytes (--requests 2000, --in-flight 64,\n' +
  '          --form compact|legacy, --no-bundle, --link wifi, --rate 100 offloads/s, --json FILE, --previous FILE)\n';

export async function benchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cleave = createCleaveLauncher(CLI_BIN, startServeProcess);
  if (name === 'serve') return benchServe(rest, startServeProcess);
  if (name === 'soak') return benchSoak(rest, startServeProcess);
  if (name === 'stream') return benchStream(rest);
  if (name === 'wire') return benchWire(rest, startServeProcess);
  if (name === 'run') return benchRun(rest, cleave);
  // The bench's own process, started by `cleave bench run`.
  if (name === 'edge') return edgeCommand(rest);
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  // Anything else (nothing, or options such as --quick) is the full benchmark.
  if (name === undefined || name.startsWith('-')) return benchRun(argv, cleave);
  process.stderr.write(`cleave bench: unknown benchmark "${name}"\n\n${HELP}`);
  return 2;
}
