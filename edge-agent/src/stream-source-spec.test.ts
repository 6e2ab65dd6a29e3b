import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toPlanar } from './frame-process.js';
import { LatestFrameQueue } from './latest-frame-queue.js';
import { FrameAges } from './source-stats.js';
import { labelChangesOnly, type StreamEvent } from './stream-event.js';
import {
  ffmpegArgs,
  kindOfUrl,
  parseSourceArg,
  resolveSourceSpec,
  SourceSpecError,
} from './stream-source-spec.js';

const gray = { width: 28, height: 28, channels: 1 as const };

describe('stream sources', () => {
  it('stream sources - kinds follow the url', () => {
    assert.equal(kindOfUrl('rtsp://cam/1'), 'rtsp');
    assert.equal(kindOfUrl('rtp://239.0.0.1:5004'), 'rtp');
    assert.equal(kindOfUrl('/tmp/cam.sdp'), 'rtp');
    assert.equal(kindOfUrl('http://cam/video.mjpeg'), 'http');
    assert.equal(kindOfUrl('/dev/video0'), 'v4l2');
    assert.equal(kindOfUrl('gst:videotestsrc ! jpegenc ! fdsink fd=1'), 'gst');
    assert.equal(kindOfUrl(import.meta.dirname), 'folder');
    assert.equal(kindOfUrl('/no/such/clip.mp4'), 'file');
  });

  it('stream sources - --source takes ID=URL and trailing options', () => {
    assert.deepEqual(parseSourceArg('/v/a.mp4', 2), { id: 's3', url: '/v/a.mp4' });
    assert.deepEqual(parseSourceArg('door=rtsp://cam/x,listen=1,fps=5', 0), {
      id: 'door',
      url: 'rtsp://cam/x',
      fps: 5,
      listen: true,
    });
    assert.deepEqual(parseSourceArg('f=/v/a.mkv,rate=max,loop=true,queue=2', 0), {
      id: 'f',
      url: '/v/a.mkv',
      rate: 'max',
      loop: true,
      queue: 2,
    });
    // Commas inside the URL (a gst pipeline's caps) stay in it.
    const gst = parseSourceArg('csi=gst:nvarguscamerasrc ! video/x-raw,width=640 ! fdsink fd=1', 0);
    assert.equal(gst.url, 'gst:nvarguscamerasrc ! video/x-raw,width=640 ! fdsink fd=1');
  });

  it('stream sources - bad specs are refused with the field named', () => {
    assert.throws(
      () => resolveSourceSpec({ id: 'a.b', url: 'x' }),
      (e: unknown) => {
        assert.ok(e instanceof SourceSpecError);
        assert.match(e.message, /id: .*NATS subject token/);
        return true;
      },
    );
    assert.throws(() => resolveSourceSpec({ id: 'a', url: 'x', queue: 0 }), /queue/);
    assert.throws(() => resolveSourceSpec({ id: 'a', url: 'x', extra: 1 } as never), /extra/);
  });

  it('stream sources - ffmpeg writes raw frames of the bundle size, paced files, probing live ones briefly', () => {
    const file = ffmpegArgs(resolveSourceSpec({ id: 'a', url: '/v/a.mkv', rate: 2, loop: true }), gray);
    assert.deepEqual(file.slice(4, 10), ['-readrate', '2', '-stream_loop', '-1', '-i', '/v/a.mkv']);
    assert.ok(file.includes('scale=28:28:flags=area,format=gray'));
    assert.deepEqual(file.slice(-4), ['rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
    assert.equal(file.at(-1), 'pipe:1');
    assert.ok(
      !ffmpegArgs(resolveSourceSpec({ id: 'a', url: '/v/a.mkv', rate: 'max' }), gray).includes('-readrate'),
    );
    const rtsp = ffmpegArgs(resolveSourceSpec({ id: 'c', url: 'rtsp://h/x', listen: true }), {
      ...gray,
      channels: 3,
    });
    assert.deepEqual(rtsp.slice(4, 12), [
      '-analyzeduration',
      '100000',
      '-rtsp_flags',
      'listen',
      '-rtsp_transport',
      'tcp',
      '-i',
      'rtsp://h/x',
    ]);
    assert.ok(rtsp.includes('rgb24'));
  });

  it('stream sources - the latest frame wins: a full queue drops its oldest', () => {
    const q = new LatestFrameQueue<number>(2);
    assert.equal(q.push(1), undefined);
    assert.equal(q.push(2), undefined);
    assert.equal(q.push(3), 1);
    assert.equal(q.shift(), 2);
    assert.equal(q.shift(), 3);
    assert.equal(q.shift(), undefined);
    assert.throws(() => new LatestFrameQueue(0), RangeError);
  });

  it('stream sources - change-of-label passes the first event and each change, per source', () => {
    const seen: string[] = [];
    const l = labelChangesOnly((e) => seen.push(`${e.source}${e.label}`));
    for (const [source, label] of [
      ['a', 1],
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['a', 2],
      ['b', 1],
      ['a', 1],
    ] as const) {
      l({ source, label } as StreamEvent);
    }
    assert.deepEqual(seen, ['a1', 'b1', 'a2', 'a1']);
  });

  it('stream sources - rgb24 frames become planar CHW; gray frames pass as they are', () => {
    const rgb = Buffer.from([1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...toPlanar(rgb, { width: 2, height: 1, channels: 3 })], [1, 4, 2, 5, 3, 6]);
    const g = Buffer.from([9, 8]);
    assert.equal(toPlanar(g, { width: 2, height: 1, channels: 1 }), g);
  });

  it('stream sources - frame age percentiles over the last 4096 answers', () => {
    const ages = new FrameAges();
    assert.equal(ages.percentiles(), null);
    for (let i = 1; i <= 100; i++) ages.add(i);
    assert.deepEqual(ages.percentiles(), { p50: 50, p90: 90, p99: 99, max: 100, count: 100 });
    for (let i = 0; i < 5000; i++) ages.add(1000);
    assert.deepEqual(ages.percentiles(), { p50: 1000, p90: 1000, p99: 1000, max: 1000, count: 4096 });
  });
});
