// Reads one direction of an HTTP/2 connection as it passes and sorts its bytes: the gRPC messages
// inside DATA frames (what the application sent, each with its 5-byte gRPC prefix), and the rest,
// which is HTTP/2's own (the connection preface, 9-byte frame headers, HEADERS with their HPACK
// blocks, SETTINGS, WINDOW_UPDATE, PING, padding). It only counts: the bytes pass unchanged.

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;
const DATA = 0x0;
const PADDED = 0x8;
const GRPC_PREFIX_BYTES = 5;

export interface Http2Counts {
  /** Every byte of the direction: the TCP payload. */
  bytes: number;
  /** gRPC messages (DATA payload less padding), including their 5-byte prefixes. */
  messageBytes: number;
  /** gRPC messages completed. */
  messages: number;
  /** HTTP/2 frames, of which DATA frames. */
  frames: number;
  dataFrames: number;
  /** Frames by type name, e.g. { DATA: 120, HEADERS: 2, WINDOW_UPDATE: 3 }. */
  framesByType: Record<string, number>;
}

const TYPE_NAMES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
];

export interface Http2FrameCounter {
  /** Feeds the next bytes of the direction, in order. */
  push(chunk: Uint8Array): void;
  counts(): Http2Counts;
}

/** `client`: the direction that starts with the connection preface (client → server). */
/** Counts at zero: the start of a direction, or of a sum. */
export const emptyHttp2Counts = (): Http2Counts => ({
  bytes: 0,
  messageBytes: 0,
  messages: 0,
  frames: 0,
  dataFrames: 0,
  framesByType: {},
});

export function createHttp2FrameCounter(options: { client: boolean }): Http2FrameCounter {
  const c = emptyHttp2Counts();
  let prefaceLeft = options.client ? PREFACE.length : 0;
  // The frame being read: its header bytes so far, then how much of its payload is left.
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  let headerHave = 0;
  let payloadLeft = 0;
  let isData = false;
  let padLengthPending = false;
  let padLeft = 0;
  // gRPC messages span DATA frames: the prefix bytes seen so far and the message bytes left.
  const prefix = new Uint8Array(GRPC_PREFIX_BYTES);
  let prefixHave = 0;
  let messageLeft = 0;

  function dataByte(chunk: Uint8Array, at: number, n: number): void {
    // n bytes of DATA payload (padding excluded) at chunk[at..]: walk the gRPC message framing.
    c.messageBytes += n;
    let i = at;
    const end = at + n;
    while (i < end) {
      if (messageLeft > 0) {
        const take = Math.min(messageLeft, end - i);
        messageLeft -= take;
        i += take;
        if (messageLeft === 0) c.messages++;
        continue;
      }
      prefix[prefixHave++] = chunk[i++]!;
      if (prefixHave === GRPC_PREFIX_BYTES) {
        prefixHave = 0;
        messageLeft = ((prefix[1]! << 24) | (prefix[2]! << 16) | (prefix[3]! << 8) | prefix[4]!) >>> 0;
        if (messageLeft === 0) c.messages++;
      }
    }
  }

  return {
    push(chunk) {
      c.bytes += chunk.length;
      let i = 0;
      if (prefaceLeft > 0) {
        const take = Math.min(prefaceLeft, chunk.length);
        prefaceLeft -= take;
        i += take;
      }
      while (i < chunk.length) {
        if (payloadLeft === 0 && headerHave < FRAME_HEADER_BYTES) {
          header[headerHave++] = chunk[i++]!;
          if (headerHave < FRAME_HEADER_BYTES) continue;
          const length = (header[0]! << 16) | (header[1]! << 8) | header[2]!;
          const type = header[3]!;
          c.frames++;
          const name = TYPE_NAMES[type] ?? `TYPE_${type}`;
          c.framesByType[name] = (c.framesByType[name] ?? 0) + 1;
          isData = type === DATA;
          if (isData) c.dataFrames++;
          padLengthPending = isData && (header[4]! & PADDED) !== 0 && length > 0;
          padLeft = 0;
          payloadLeft = length;
          if (payloadLeft === 0) headerHave = 0;
          continue;
        }
        const take = Math.min(payloadLeft, chunk.length - i);
        if (isData) {
          let at = i;
          let n = take;
          if (padLengthPending) {
            padLeft = chunk[at]!;
            padLengthPending = false;
            at++;
            n--;
          }
          // Padding is at the end of the payload: what is left after the data.
          const dataLeftInFrame = payloadLeft - (at - i) - padLeft;
          const data = Math.max(0, Math.min(n, dataLeftInFrame));
          if (data > 0) dataByte(chunk, at, data);
        }
        payloadLeft -= take;
        i += take;
        if (payloadLeft === 0) headerHave = 0;
      }
    },
    counts: () => ({ ...c, framesByType: { ...c.framesByType } }),
  };
}
