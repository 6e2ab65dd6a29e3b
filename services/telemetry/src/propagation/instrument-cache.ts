// The metrics API hands out no-op instruments until an SDK is registered, and never upgrades
// them; so a library makes its instruments again whenever the global MeterProvider changes. This
// wraps that rule: `const instruments = instrumentCache((provider) => ({ ... }))`, then call
// `instruments()` wherever a measurement is recorded.
import { type MeterProvider, metrics } from '@opentelemetry/api';

export function instrumentCache<T>(create: (provider: MeterProvider) => T): () => T {
  let current: { provider: MeterProvider; instruments: T } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (current?.provider !== provider) current = { provider, instruments: create(provider) };
    return current.instruments;
  };
}
