// `cleave bench <name>`: benchmarks that write JSON. Figures come from here, not from tests.
import { benchServe } from './bench-serve.js';

export async function benchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'serve') return benchServe(rest);
  process.stdout.write(
    `cleave bench serve [options]\n\n  serve   raw tail throughput vs. served throughput over InferStream\n`,
  );
  return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
}
