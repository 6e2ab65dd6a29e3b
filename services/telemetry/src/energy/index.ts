// Energy meters, power sampling and attribution, radio models. See docs/energy.md.
export {
  createEnergyAttributor,
  type EnergyAttributor,
  type EnergyAttributorOptions,
  type EnergyToken,
  type InferenceEnergy,
} from './attribution.js';
export {
  createMeterRegistry,
  type DetectedMeters,
  type DetectOptions,
  detectPowerMeters,
  type MeterRegistry,
  selectPowerMeter,
} from './detect.js';
export {
  createDeviceProfileMeter,
  DEVICE_PROFILE_METER_ID,
  type DeviceProfileMeterOptions,
  processUtilisation,
  profilePowerWatts,
  type UtilisationSource,
} from './device-profile-meter.js';
export {
  DEVICE_PROFILES,
  type DeviceProfile,
  type DeviceProfileName,
  guessDeviceProfile,
  isDeviceProfileName,
} from './device-profiles.js';
export {
  countSamples,
  type EnergyWindow,
  integratePower,
  meanPower,
  type PowerSample,
  powerAt,
  shareConstantPower,
  shareEnergy,
  shareOfWindow,
  shareOverWindows,
} from './integrate.js';
export { JETSON_HWMON_ID, probeJetsonHwmon } from './jetson-hwmon.js';
export { JETSON_IIO_ID, probeJetsonIio } from './jetson-iio.js';
export { JETSON_INPUT_RAILS, type JetsonTotal, jetsonTotal } from './jetson-rails.js';
export {
  createRadioEnergyModel,
  type RadioEnergy,
  type RadioEnergyModel,
  type RadioEnergyModelOptions,
  type RadioTransferInput,
  radioEnergy,
  type SettledRadioEnergy,
} from './radio.js';
export {
  DEFAULT_RADIO_PROFILES,
  getRadioProfile,
  loadRadioProfiles,
  parseRadioProfiles,
  RADIO_LINK_TYPES,
  type RadioLinkType,
  type RadioProfile,
  type RadioProfiles,
} from './radio-config.js';
export { counterDelta, probeRapl, RAPL_ID, selectRaplZones } from './rapl.js';
export {
  DEFAULT_PMIC_CALIBRATION,
  type PmicCalibration,
  type PmicRail,
  parsePmicReadAdc,
  pmicTotalWatts,
  probeRpi5Pmic,
  RPI5_ID,
} from './rpi5-pmic.js';
export {
  createPowerSampler,
  MIN_SAMPLER_HZ,
  type PowerSampler,
  type PowerSamplerOptions,
} from './sampler.js';
export type {
  DomainEnergy,
  EnergyCounterMeter,
  EnergyMethod,
  EnergyReading,
  InstantPowerMeter,
  MeterDiagnostic,
  PowerMeter,
  PowerReading,
  RailPower,
  RunCommand,
} from './types.js';
