// `cleave bench <name>`: benchmarks that write JSON. Figures come from here, not from tests.
import { benchServe } from './bench-serve.js';
import { benchSoak } from './bench-soak.js';

export async function benchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'serve') return benchServe(rest);
  if (name === 'soak') return benchSoak(rest);
  process.stdout.write(
    'cleave bench <serve|soak> [options]\n\n' +
      '  serve   raw tail throughput vs. served throughput, batching on and off (--seconds, --agents, --in-flight)\n' +
      '  soak    a server and an agent under steady load for --minutes (default 10): RSS, lost requests, event-loop delay\n',
  );
  return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
}
