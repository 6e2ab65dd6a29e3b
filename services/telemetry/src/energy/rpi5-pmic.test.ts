import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PMIC_CALIBRATION, parsePmicReadAdc, pmicTotalWatts, probeRpi5Pmic } from './rpi5-pmic.js';
import type { RunCommand } from './types.js';

const opts = { timeout: 10_000 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

// The layout of `vcgencmd pmic_read_adc` on a Pi 5 (names right-aligned, currents first, then voltages;
// the current and voltage ADC channel numbers of a rail differ; EXT5V and BATT have a voltage only).
const PMIC_OUTPUT = [
  ' 3V7_WL_SW_A current(0)=0.10000000A',
  '   3V3_SYS_A current(1)=0.05000000A',
  '   1V8_SYS_A current(2)=0.20000000A',
  '  DDR_VDD2_A current(3)=0.00000000A',
  '  DDR_VDDQ_A current(4)=0.00000000A',
  '   1V1_SYS_A current(5)=0.20000000A',
  '    0V8_SW_A current(6)=0.30000000A',
  '  VDD_CORE_A current(7)=2.00000000A',
  '   3V3_DAC_A current(17)=0.00006105A',
  '   3V3_ADC_A current(18)=0.00036630A',
  '   0V8_AON_A current(16)=0.00305250A',
  '      HDMI_A current(22)=0.02000000A',
  ' 3V7_WL_SW_V volt(8)=3.70000000V',
  '   3V3_SYS_V volt(9)=3.30000000V',
  '   1V8_SYS_V volt(10)=1.80000000V',
  '  DDR_VDD2_V volt(11)=1.10000000V',
  '  DDR_VDDQ_V volt(12)=0.60000000V',
  '   1V1_SYS_V volt(13)=1.10000000V',
  '    0V8_SW_V volt(14)=0.80000000V',
  '  VDD_CORE_V volt(15)=0.80000000V',
  '   3V3_DAC_V volt(20)=3.30000000V',
  '   3V3_ADC_V volt(21)=3.30000000V',
  '   0V8_AON_V volt(19)=0.80000000V',
  '      HDMI_V volt(23)=5.00000000V',
  '     EXT5V_V volt(24)=5.10000000V',
  '      BATT_V volt(25)=0.00000000V',
  '',
].join('\n');

const EXPECTED_SUM =
  0.1 * 3.7 +
  0.05 * 3.3 +
  0.2 * 1.8 +
  0 +
  0 +
  0.2 * 1.1 +
  0.3 * 0.8 +
  2 * 0.8 +
  0.00006105 * 3.3 +
  0.0003663 * 3.3 +
  0.0030525 * 0.8 +
  0.02 * 5;

describe('raspberry pi 5 pmic', () => {
  it('pairs each rail current with its voltage by name, ignoring voltage-only rails', opts, () => {
    const rails = parsePmicReadAdc(PMIC_OUTPUT);
    assert.equal(rails.length, 12);
    assert.ok(!rails.some((r) => r.name === 'EXT5V' || r.name === 'BATT'));
    const core = rails.find((r) => r.name === 'VDD_CORE');
    assert.deepEqual(core, { name: 'VDD_CORE', volts: 0.8, amps: 2, watts: 1.6 });
    close(
      rails.reduce((s, r) => s + r.watts, 0),
      EXPECTED_SUM,
    );
  });

  it('ignores garbage and a current without a voltage', opts, () => {
    assert.deepEqual(parsePmicReadAdc('error=1 error_msg="Command not registered"\n'), []);
    assert.deepEqual(parsePmicReadAdc('  VDD_CORE_A current(7)=1.0A\n'), []);
  });

  it('applies the linear calibration (default gain 1.1451, offset 0.5879 W)', opts, () => {
    const rails = parsePmicReadAdc(PMIC_OUTPUT);
    close(pmicTotalWatts(rails, DEFAULT_PMIC_CALIBRATION), 1.1451 * EXPECTED_SUM + 0.5879);
    close(pmicTotalWatts(rails, { gain: 1, offsetWatts: 0, source: 'raw' }), EXPECTED_SUM);
  });

  it('detects the meter through an injected runCommand and reads calibrated power', opts, async () => {
    const calls: string[] = [];
    const runCommand: RunCommand = async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return PMIC_OUTPUT;
    };
    const calibration = { gain: 1.2, offsetWatts: 0.5, source: 'bench fit' };
    const { meter } = await probeRpi5Pmic({ runCommand, calibration, now: () => 7 });
    assert.ok(meter);
    assert.equal(meter.id, 'rpi5-pmic');
    assert.equal(meter.method, 'measured');
    const r = await meter.read();
    close(r.totalWatts, 1.2 * EXPECTED_SUM + 0.5);
    assert.equal(r.rails.length, 12);
    assert.equal(r.tMs, 7);
    assert.deepEqual(calls, ['vcgencmd pmic_read_adc', 'vcgencmd pmic_read_adc']);
  });

  it('no vcgencmd (ENOENT) or no PMIC rails → no meter, never a throw', opts, async () => {
    const missing: RunCommand = async () => {
      throw Object.assign(new Error('spawn vcgencmd ENOENT'), { code: 'ENOENT' });
    };
    const a = await probeRpi5Pmic({ runCommand: missing, now: () => 0 });
    assert.equal(a.meter, undefined);
    assert.deepEqual(a.diagnostics, []);
    const pi4 = await probeRpi5Pmic({ runCommand: async () => 'error=2\n', now: () => 0 });
    assert.equal(pi4.meter, undefined);
  });

  it('a permission error on /dev/vcio yields a diagnostic', opts, async () => {
    const denied: RunCommand = async () => {
      throw new Error(
        'Command failed: vcgencmd pmic_read_adc\nVCHI initialization failed: /dev/vcio: Permission denied',
      );
    };
    const r = await probeRpi5Pmic({ runCommand: denied, now: () => 0 });
    assert.equal(r.meter, undefined);
    assert.ok(r.diagnostics.some((d) => d.level === 'warn' && /video/.test(d.message)));
  });
});
