// What an app can hand a model (the agent's head, the server's full model), and how it becomes
// the input tensor the manifest describes.

import sharp from 'sharp';
import type { Manifest } from './manifest-schema.js';

export type AgentInput =
  /** Raw pixels, row-major, `channels × height × width` bytes as the manifest's source says. */
  | { kind: 'pixels'; data: Uint8Array }
  /** An already normalised tensor of the manifest's input shape. */
  | { kind: 'tensor'; data: Float32Array }
  /** An encoded image (PNG, JPEG, WebP…); decoded, converted and resized with sharp. */
  | { kind: 'image'; data: Uint8Array };

export class InputError extends Error {
  override name = 'InputError';
  /** Its row in @cleave/wire's error-status table. */
  readonly code = 'BAD_INPUT';
}

export interface InputPreparer {
  readonly pixelCount: number;
  /** Normalised float tensor for the head, and the raw pixels when there are any. */
  prepare(input: AgentInput): Promise<{ tensor: Float32Array; pixels?: Uint8Array }>;
}

export interface InputPreparerOptions {
  /** Refuse an encoded image of another size instead of resizing it (a server counting input bytes). */
  exactSize?: boolean;
}

export function createInputPreparer(manifest: Manifest, options: InputPreparerOptions = {}): InputPreparer {
  const { width, height, channels } = manifest.input.source;
  const { scale, mean, std } = manifest.input.normalization;
  const pixelCount = width * height * channels;
  const plane = width * height;

  function normalise(pixels: Uint8Array): Float32Array {
    const out = new Float32Array(pixelCount);
    for (let c = 0; c < channels; c++) {
      const m = mean[c] ?? mean[0]!;
      const s = std[c] ?? std[0]!;
      for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = (pixels[i]! * scale - m) / s;
    }
    return out;
  }

  async function decodeImage(bytes: Uint8Array): Promise<Uint8Array> {
    try {
      let img = sharp(bytes, { limitInputPixels: 64 * 1024 * 1024, failOn: 'error' }).flatten({
        background: '#000',
      });
      if (options.exactSize) {
        const meta = await img.metadata();
        if (meta.width !== width || meta.height !== height)
          throw new Error(`expected a ${width}×${height} image, got ${meta.width}×${meta.height}`);
      }
      img = channels === 1 ? img.toColourspace('b-w') : img.removeAlpha();
      const { data, info } = await img
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== channels)
        throw new Error(`decoded ${info.channels} channels, expected ${channels}`);
      // sharp gives interleaved HWC; the head wants planar CHW.
      if (channels === 1) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const planar = new Uint8Array(pixelCount);
      for (let i = 0; i < plane; i++)
        for (let c = 0; c < channels; c++) planar[c * plane + i] = data[i * channels + c]!;
      return planar;
    } catch (cause) {
      throw new InputError(`not a decodable image: ${(cause as Error).message}`, { cause });
    }
  }

  return {
    pixelCount,
    async prepare(input) {
      switch (input.kind) {
        case 'pixels':
          if (input.data.length !== pixelCount) {
            throw new InputError(
              `expected ${pixelCount} pixels (${channels}x${height}x${width}), got ${input.data.length}`,
            );
          }
          return { tensor: normalise(input.data), pixels: input.data };
        case 'tensor':
          if (input.data.length !== pixelCount) {
            throw new InputError(`expected a tensor of ${pixelCount} values, got ${input.data.length}`);
          }
          for (const v of input.data)
            if (!Number.isFinite(v)) throw new InputError('tensor holds a non-finite value');
          return { tensor: input.data };
        case 'image': {
          const pixels = await decodeImage(input.data);
          return { tensor: normalise(pixels), pixels };
        }
      }
    },
  };
}
