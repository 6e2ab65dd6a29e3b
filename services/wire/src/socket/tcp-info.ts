// TCP segment counts from the kernel: `ss -tin` prints each socket's tcp_info, whose segs_in /
// segs_out count every segment (data and pure ACKs) and data_segs_in / data_segs_out those that
// carry payload. Read for the proxy's own sockets, by their local and remote ports.
import { spawnSync } from 'node:child_process';

export interface SegmentCounts {
  segsIn: number;
  segsOut: number;
  dataSegsIn: number;
  dataSegsOut: number;
}

export interface TcpSocketInfo extends SegmentCounts {
  local: string;
  peer: string;
}

const field = (text: string, name: string): number => {
  const m = new RegExp(`\\b${name}:(\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

/**
 * tcp_info of every TCP socket on this host whose local port is `port` (any state but listening),
 * or null when `ss` (iproute2) cannot be run: then segment counts are not known, and say so.
 */
export function readTcpInfo(port: number): TcpSocketInfo[] | null {
  const r = spawnSync('ss', ['-tinH', 'state', 'connected', `( sport = :${port} )`], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (r.status !== 0 || r.error) return null;
  // One socket per entry: "STATE RECV-Q SEND-Q LOCAL PEER" then an indented line of tcp_info.
  const out: TcpSocketInfo[] = [];
  const lines = r.stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/);
    if (cols.length < 5 || /^\s/.test(lines[i]!)) continue;
    const info = lines[i + 1] && /^\s/.test(lines[i + 1]!) ? lines[i + 1]! : '';
    out.push({
      local: cols[3]!,
      peer: cols[4]!,
      segsIn: field(info, 'segs_in'),
      segsOut: field(info, 'segs_out'),
      dataSegsIn: field(info, 'data_segs_in'),
      dataSegsOut: field(info, 'data_segs_out'),
    });
  }
  return out;
}
