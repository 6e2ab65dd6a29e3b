// Shared types of the energy module: meters, readings, diagnostics.

/** How a figure was obtained (DESIGN.md, Telemetry): a sensor, a model, or a rough estimate. */
export type EnergyMethod = 'measured' | 'modeled' | 'estimated';

/** One named power rail (or modelled component) at one instant. */
export interface RailPower {
  readonly name: string;
  readonly watts: number;
}

/** What every meter's `read()` returns. */
export interface PowerReading {
  readonly id: string;
  readonly source: string;
  readonly method: 'measured' | 'estimated';
  readonly rails: readonly RailPower[];
  /** Board (or domain) total, computed by the meter's own rule — never a blind sum of overlapping rails. */
  readonly totalWatts: number;
  /** performance.now() when the value was taken, ms. */
  readonly tMs: number;
}

/** One cumulative energy domain (RAPL zone), already unwrapped so it only grows. */
export interface DomainEnergy {
  readonly name: string;
  readonly joules: number;
}

/** A cumulative counter reading: joules since the meter was created. */
export interface EnergyReading {
  readonly tMs: number;
  readonly domains: readonly DomainEnergy[];
  readonly totalJoules: number;
}

interface MeterBase {
  /** Stable id, e.g. `jetson-ina3221-hwmon`. */
  readonly id: string;
  /** Human-readable origin, e.g. the sysfs directories read. */
  readonly source: string;
  readonly method: 'measured' | 'estimated';
  /** Average or instantaneous power. Energy counters report the mean power since the previous read. */
  read(): Promise<PowerReading>;
}

/** A meter that reports instantaneous power (INA3221, PMIC, device model). */
export interface InstantPowerMeter extends MeterBase {
  readonly kind: 'power';
}

/** A meter that reports a cumulative energy counter (RAPL). */
export interface EnergyCounterMeter extends MeterBase {
  readonly kind: 'energy';
  readEnergy(): Promise<EnergyReading>;
}

export type PowerMeter = InstantPowerMeter | EnergyCounterMeter;

/** Something noticed during detection that an operator should know (e.g. a permission problem). */
export interface MeterDiagnostic {
  readonly level: 'info' | 'warn';
  readonly meter: string;
  readonly message: string;
  readonly path?: string;
}

/** Runs a command and resolves with its stdout; rejects when it cannot be run or exits non-zero. */
export type RunCommand = (cmd: string, args: readonly string[]) => Promise<string>;

/** A probe's answer: a meter, or nothing plus diagnostics. Probes never throw. */
export interface ProbeResult {
  readonly meter?: PowerMeter;
  readonly diagnostics: readonly MeterDiagnostic[];
}
