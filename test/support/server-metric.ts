// Reads one metric of a running `cleave serve` from its Prometheus endpoint.

/** The sum over every series of the Prometheus metric `name` (all label sets) at /metrics. */
export async function serverMetricSum(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
