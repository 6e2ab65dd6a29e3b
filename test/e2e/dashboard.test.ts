// cleave-test: light (a browser waiting on a page; no timing asserted)
// The live dashboard in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// a tail server with the dashboard routes, a trace store on the SDK, and a real agent in the same
// process sending 200 Fashion-MNIST test images. The page must load with no console error (its
// CSP refuses anything not inline), update live while the images flow, and end with the run's
// figures: answers, where they came from, latency, bytes per offload, energy, the agent, and an
// edge → cloud waterfall. Screenshot: test-artifacts/dashboard.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip } from '@cleave/bench';
import { createDashboardRoutes, createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent, createStreamHub } from '@cleave/edge-agent';
import { createTraceStore, startTelemetry, type Telemetry, type TraceStore } from '@cleave/telemetry-sdk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const IMAGES = 200;
const AGENT_ID = 'e2e-pi-1';

describe('dashboard - live page in headless Chromium', { timeout: 300_000 }, () => {
  let telemetry: Telemetry;
  let store: TraceStore;
  let server: TailServer;
  let agent: Agent;
  let browser: Browser | undefined;
  let page: Page;
  let url: string;
  const problems: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: apt-get install -y chromium (scripts/ensure-system-deps.sh)`,
    );
    store = createTraceStore({ maxTraces: 500 });
    telemetry = startTelemetry({ serviceName: 'cleave-demo', traces: { exporter: 'none', store } });
    server = await createTailServer(
      { modelsDir: MODELS_DIR, models: [DEFAULT_BUNDLE], port: 0, http: { port: 0 }, workers: 1 },
      {
        httpRoutes: [
          ...createDashboardRoutes({
            metrics: telemetry.collectMetrics,
            traces: store,
            title: 'Cleave e2e',
          }),
          async (req, res, path) => {
            if (path !== '/metrics') return false;
            telemetry.prometheusHandler(req, res);
            return true;
          },
        ],
      },
    );
    url = `http://127.0.0.1:${server.httpPort}/dashboard`;
    agent = await createAgent({
      id: AGENT_ID,
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await agent?.close();
    await server?.drain();
    await telemetry?.shutdown();
  });

  const text = (selector: string) => page.locator(selector).first().innerText({ timeout: 10_000 });
  const updates = async () => Number((await page.locator('body').getAttribute('data-updates')) ?? '0');
  // Polled from here (the repo compiles without the DOM library, so no page.waitForFunction).
  async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const waitText = (selector: string, pattern: RegExp, timeoutMs: number) =>
    waitFor(`${selector} to match ${pattern}`, timeoutMs, async () =>
      pattern.test((await page.locator(selector).first().textContent({ timeout: 5_000 })) ?? ''),
    );

  it('dashboard - loads with no console error and shows empty parts before any traffic', {
    timeout: 60_000,
  }, async () => {
    const res = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    assert.equal(res?.status(), 200);
    assert.equal(await page.title(), 'Cleave e2e dashboard');
    await waitFor('a first poll', 15_000, async () => (await updates()) >= 1);
    assert.match(await text('#status-text'), /^live/);
    assert.match(await text('#kpi-answers .value'), /^(–|\d+)$/);
    assert.deepEqual(problems, []);
  });

  it(`dashboard - ${IMAGES} images through the agent: the page updates live and ends with the run's figures`, {
    timeout: 240_000,
  }, async () => {
    const data = await loadFashionMnist({ split: 'test', limit: IMAGES });
    const before = await updates();
    const answersBefore = await text('#kpi-answers .value');
    let next = 0;
    const sources: Record<string, number> = {};
    const worker = async () => {
      while (next < data.count) {
        const i = next++;
        // Every fourth image goes to the cloud whatever the gate says, so the run has offloads.
        const answer = await agent.infer(
          { kind: 'pixels', data: imageAt(data, i) },
          { mode: i % 4 === 0 ? 'cloud-only' : 'cascade' },
        );
        sources[answer.source] = (sources[answer.source] ?? 0) + 1;
        // Spread the run over a few seconds so the page sees it flowing, poll after poll.
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    const sawRate = waitText('#kpi-rate .value', /^[\d.,]+\/s$/, 60_000);
    sawRate.catch(() => {}); // awaited below; this keeps an early failure from being unhandled
    await Promise.all(Array.from({ length: 8 }, worker));
    await sawRate; // answers per second, shown while the images flowed
    assert.ok((sources.cloud ?? 0) >= IMAGES / 4, JSON.stringify(sources));

    // The page polls by itself; wait for a poll that saw the whole run.
    await waitFor(`${IMAGES} answers on the page`, 30_000, async () => {
      return Number((await text('#kpi-answers .value')).replace(/,/g, '')) >= IMAGES;
    });
    // No reload: the same document polled again and redrew.
    assert.ok((await updates()) > before, 'the page polled again');
    assert.notEqual(await text('#kpi-answers .value'), answersBefore);

    assert.ok((await page.locator('#throughput polyline').count()) > 0, 'the throughput chart has a line');
    const answers = Number((await text('#kpi-answers .value')).replace(/,/g, ''));
    assert.ok(answers >= IMAGES, `answers ${answers}`); // the agent's start-up self-test may add some
    const legend = await text('#sources');
    assert.match(legend, /cloud/);
    const p50 = await text('#latency tr[data-side="edge"][data-stage="total"] td.p50');
    assert.match(p50, /^[\d.]+ (µs|ms|s)$/, `edge total p50: ${p50}`);
    assert.match(
      await text('#latency tr[data-side="cloud"][data-stage="server"] td.p95'),
      /^[\d.]+ (µs|ms|s)$/,
    );
    assert.match(await text('#kpi-p95 .value'), /^[\d.]+ (µs|ms|s)$/);
    assert.match(await text('#payload-mean'), /^[\d.]+ B$/);
    assert.match(await text('#kpi-energy .value'), /^[\d.]+ (µJ|mJ|J)$/);
    assert.match(await text('#kpi-energy .sub'), /compute [\d.]+ (µJ|mJ|J) \+ radio [\d.]+ (µJ|mJ|J)/);
    assert.match(await text('#agents'), new RegExp(AGENT_ID));
    assert.match(await text('#kpi-server .value'), /^[1-9][\d,]*$/);

    // A waterfall across edge and cloud: the agent's root and the server's spans under it.
    await waitFor('cloud spans in the waterfall', 15_000, async () => {
      return (await page.locator('#waterfall g[data-side="cloud"]').count()) > 0;
    });
    const names = await page
      .locator('#waterfall g.span-row')
      .evaluateAll((rows) =>
        rows.map((r) => `${r.getAttribute('data-side')}:${r.getAttribute('data-name')}`),
      );
    for (const expected of [
      'edge:cleave.infer',
      'edge:cleave.head',
      'edge:cleave.v1.SplitInference/InferStream',
      'cloud:cleave.v1.SplitInference/InferStream',
      'cloud:cleave.queue',
      'cloud:cleave.tail',
    ]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }

    // Clicking a recent trace pins it in the waterfall.
    const row = page.locator('#recent tr.click').nth(3);
    await row.click();
    await waitText('#trace-id', /\(pinned\)/, 10_000);
    await page.locator('#follow').click();
    await waitText('#trace-id', /^(?![\s\S]*\(pinned\))/, 10_000);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  it('dashboard - a video source: the Streams part shows its frames per second, skips and frame age', {
    timeout: 90_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-dashboard-stream-'));
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 40 });
      const clip = await makeClip(
        dir,
        Array.from({ length: data.count }, (_, i) => imageAt(data, i)),
      );
      const hub = createStreamHub(agent, [{ id: 'cam', url: clip.path, rate: 2 }]);
      const row = '#streams tr[data-source="cam"]';
      // While it plays: a rate of frames in, between two polls.
      await waitFor('a frames-in rate for the source', 30_000, async () => {
        if ((await page.locator(row).count()) === 0) return false;
        return /^[1-9][\d.,]*$/.test(await text(`${row} td:nth-child(3)`));
      });
      await hub.settled();
      await hub.close();
      const s = hub.stats()[0]!;
      assert.equal(s.state, 'ended');
      await waitFor('the whole clip on the page', 15_000, async () => {
        return Number((await text(`${row} td:nth-child(7)`)).replace(/,/g, '')) === s.in;
      });
      assert.equal(Number((await text(`${row} td:nth-child(9)`)).replace(/,/g, '')), s.skipped);
      assert.ok(s.skipped > 0.8 * s.in, JSON.stringify(s));
      assert.match(await text(`${row} td.age-p50`), /^[\d.]+ (µs|ms|s)$/);
      assert.match(await text(`${row} td.age-p99`), /^[\d.]+ (µs|ms|s)$/);
      assert.match(await text(`${row} td.device`), /^\d+\.\d%$/);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-streams.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
