// The live dashboard: `GET /dashboard` (one self-contained HTML page: inline CSS and JS, SVG
// charts, nothing fetched from elsewhere) and `GET /dashboard/data.json` (the figures, computed
// here from the process's own collected metrics, as data, and recent traces). Mount the routes on the tail
// server: `createTailServer(options, { httpRoutes: [...createDashboardRoutes({...}), metrics] })`.
import type { ServerResponse } from 'node:http';
import type { CollectedMetrics } from '@cleave/telemetry';
import { HttpError } from '@cleave/wire';
import type { HttpRoute } from '../http/http-server.js';
import { computeDashboardData, type DashboardTraceSource, type HistoryState } from './data.js';
import { CONTENT_SECURITY_POLICY, dashboardHtml } from './page.js';
import type { StreamPolls } from './stream-figures.js';

export {
  type ComputeOptions,
  computeDashboardData,
  type DashboardData,
  type DashboardTraceSource,
  type EnergyFigures,
  type StageLatency,
  type WaterfallSpan,
  waterfall,
} from './data.js';
export {
  type Histogram,
  histogramQuantile,
  histograms,
  type PointFilter,
  sumBy,
  sumOf,
} from './metric-queries.js';

export interface DashboardOptions {
  /** This process's metrics as data (`telemetry.collectMetrics`). */
  metrics: () => Promise<CollectedMetrics | undefined>;
  /** Recent traces (`createTraceStore()`, attached with `startTelemetry({ traces: { store } })`). */
  traces: DashboardTraceSource;
  /** Shown in the page's heading and title; default "Cleave". */
  title?: string;
  /** Where the routes live; default `/dashboard`. */
  basePath?: string;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

function send(
  res: ServerResponse,
  type: string,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
) {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(head ? undefined : body);
}

/** The dashboard's two routes, for `createTailServer(..., { httpRoutes })`. */
export function createDashboardRoutes(options: DashboardOptions): HttpRoute[] {
  const title = options.title ?? 'Cleave';
  const base = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
  const dataPath = `${base}/data.json`;
  const history: HistoryState = { points: [], raw: [] };
  const streamPolls: StreamPolls = new Map();
  let page: string | undefined;

  const route: HttpRoute = async (req, res, path) => {
    const isPage = path === base || path === `${base}/`;
    if (!isPage && path !== dataPath) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      throw new HttpError(405, `${req.method} is not allowed on ${path}`);
    }
    const head = req.method === 'HEAD';
    if (isPage) {
      page ??= dashboardHtml({ title, dataUrl: dataPath });
      send(res, 'text/html; charset=utf-8', page, head, {
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'referrer-policy': 'no-referrer',
      });
      return true;
    }
    const requested = new URL(req.url ?? '/', 'http://dashboard').searchParams.get('trace') ?? undefined;
    if (requested !== undefined && !TRACE_ID.test(requested)) {
      throw new HttpError(400, 'trace must be 32 lower-case hex digits');
    }
    const data = await computeDashboardData({
      metrics: options.metrics,
      traces: options.traces,
      title,
      history,
      streamPolls,
      ...(requested !== undefined ? { traceId: requested } : {}),
    });
    send(res, 'application/json', JSON.stringify(data), head);
    return true;
  };
  return [route];
}
