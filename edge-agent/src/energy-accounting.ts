// Every inference is charged its energy: compute from the best power meter this board has
// (Jetson INA3221, Pi 5 PMIC, RAPL; else a device-profile model), integrated over the inference's
// own window and shared with the inferences that overlapped it; radio from the link's power model
// for the bytes sent at the socket, headers included (docs/energy.md). With `device` set to a profile, the agent emulates
// that board: the profile's power model at this process's utilisation, scaled by its speed factor.

import type { AnswerEnergy } from '@cleave/models';
import {
  createEnergyAttributor,
  createPowerSampler,
  createRadioEnergyModel,
  DEVICE_PROFILES,
  type DeviceProfileName,
  detectPowerMeters,
  type EnergyToken,
  isDeviceProfileName,
  loadRadioProfiles,
  type MeterDiagnostic,
  type RadioProfile,
  radioEnergy,
  selectPowerMeter,
} from '@cleave/telemetry';
import { observeBoardPower, recordAnswerEnergy } from './energy-metrics.js';

/** Nominal link rates used until the agent has measured its own uplink (Mbit/s). */
export const NOMINAL_LINK_MBPS: Record<string, { up: number; down: number }> = {
  wifi: { up: 20, down: 20 },
  lte: { up: 5, down: 20 },
  '5g': { up: 50, down: 200 },
  ethernet: { up: 100, down: 100 },
  '3g': { up: 1, down: 2 },
};

export interface EnergyOptions {
  enabled: boolean;
  /** A device profile to emulate (jetson-nano, jetson-orin-nano, rpi4, rpi5, x86); else detected. */
  device?: string | undefined;
  link: string;
  radioProfilesFile?: string | undefined;
  uplinkMbps?: number | undefined;
  downlinkMbps?: number | undefined;
  sampleHz: number;
  sysRoot: string;
}

export interface EnergyTotals {
  computeMj: number;
  /** Radio energy including the tails that have ended. */
  radioMj: number;
  inferences: number;
}

export interface EnergyAccounting {
  readonly meter: string;
  readonly device: DeviceProfileName | undefined;
  readonly link: RadioProfile;
  readonly diagnostics: readonly MeterDiagnostic[];
  begin(): EnergyToken;
  /** Closes an inference's window; `offload` is what it sent and received over the radio. */
  end(
    token: EnergyToken,
    offload?: { bytesUp: number; bytesDown: number; uplinkMbps?: number },
  ): AnswerEnergy;
  /** Radio energy an offload of this size would cost now (promotion if the radio idles, transfer, tail). */
  predictRadioMj(bytesUp: number, bytesDown: number, uplinkMbps?: number): number;
  /** So far; the last offload's radio tail is added by close(). */
  totals(): EnergyTotals;
  /** Stops sampling and charges the last radio tail in full. */
  close(): void;
}

export async function createEnergyAccounting(options: EnergyOptions): Promise<EnergyAccounting> {
  const emulate =
    options.device !== undefined && isDeviceProfileName(options.device) ? options.device : undefined;
  if (options.device !== undefined && !emulate) {
    throw new Error(
      `unknown device profile "${options.device}" (known: ${Object.keys(DEVICE_PROFILES).join(', ')})`,
    );
  }
  // Emulating another board: its power model, never this machine's sensors.
  const detected = await detectPowerMeters({
    sysRoot: emulate ? '/nonexistent-sysfs-for-emulation' : options.sysRoot,
    ...(emulate ? { deviceProfile: emulate } : {}),
  });
  const meter = selectPowerMeter(detected.meters);
  const sampler = createPowerSampler({ meter, hz: options.sampleHz });
  sampler.start();
  const attributor = createEnergyAttributor(sampler);
  const stopBoardMetrics = observeBoardPower(meter, sampler);
  const speed = emulate ? DEVICE_PROFILES[emulate].speedFactor : 1;
  const profiles = loadRadioProfiles(options.radioProfilesFile);
  const link = profiles[options.link];
  if (!link) throw new Error(`unknown link "${options.link}" (known: ${Object.keys(profiles).join(', ')})`);
  const nominal = NOMINAL_LINK_MBPS[options.link] ?? { up: 10, down: 10 };
  const upMbps = (measured?: number) => options.uplinkMbps ?? measured ?? nominal.up;
  const downMbps = options.downlinkMbps ?? nominal.down;
  const totals: EnergyTotals = { computeMj: 0, radioMj: 0, inferences: 0 };
  const radio = createRadioEnergyModel(link, {
    onSettled: (e) => {
      totals.radioMj += e.joules * 1000;
    },
  });
  let lastTransferEnd = Number.NEGATIVE_INFINITY;

  return {
    meter: meter.id,
    device: emulate,
    link,
    diagnostics: detected.diagnostics,
    begin: () => attributor.begin(),
    end(token, offload) {
      const compute = attributor.end(token);
      const computeMj = Number.isFinite(compute.joules) ? compute.joules * 1000 * speed : 0;
      let radioMj = 0;
      if (offload) {
        const e = radio.transfer({
          bytesUp: offload.bytesUp,
          bytesDown: offload.bytesDown,
          uplinkMbps: upMbps(offload.uplinkMbps),
          downlinkMbps: downMbps,
        });
        radioMj = (e.breakdown.promotion + e.breakdown.transfer) * 1000;
        lastTransferEnd = e.endMs;
      }
      totals.computeMj += computeMj;
      totals.inferences++;
      const answer: AnswerEnergy = {
        computeMj,
        computeMethod: emulate ? 'estimated' : compute.method,
        radioMj,
        radioMethod: offload ? 'modeled' : 'none',
        totalMj: computeMj + radioMj,
        windowMs: compute.windowMs,
        meter: emulate ? `${meter.id}:${emulate}` : meter.id,
        link: link.name,
      };
      recordAnswerEnergy(answer);
      return answer;
    },
    predictRadioMj(bytesUp, bytesDown, uplinkMbps) {
      const e = radioEnergy(link, {
        bytesUp,
        bytesDown,
        uplinkMbps: upMbps(uplinkMbps),
        downlinkMbps: downMbps,
        idleBeforeMs: performance.now() - lastTransferEnd,
      });
      return e.joules * 1000;
    },
    totals: () => ({ ...totals }),
    close() {
      stopBoardMetrics();
      sampler.stop();
      radio.settle();
    },
  };
}
