/**
 * FHash: a digest of its `Data` input (SmythOS `FHash.class.ts`). The algorithm and encoding are handed to
 * Node's crypto untouched, so an unknown algorithm fails with Node's own message, as it does in SmythOS.
 */
import { createHash } from 'node:crypto';
import type { BinaryToTextEncoding } from 'node:crypto';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

/** `data` of an FHash component: `algorithm` (`md5`, `sha256`, … any of `crypto.getHashes()`), `encoding` (`hex`, `base64`, …). */
export const fHashConfig = z.looseObject({
  algorithm: z.string().optional(),
  encoding: z.string().optional(),
});

/**
 * FHash: input `Data` (string or bytes) → output `Hash` = `createHash(algorithm).update(Data).digest(encoding)`.
 * @throws Node's crypto errors (unknown algorithm, missing `Data`), which the engine turns into `_error`.
 * Source: SRE `Components/FHash.class.ts`; fixture `functions-components.smyth` `/api/hash` (md5/hex).
 */
export const fHash: ComponentType = {
  name: 'FHash',
  doc: 'Hashes its `Data` input with Node crypto. Config: `algorithm` (md5, sha1, sha256, sha512, …) and `encoding` (hex, base64, base64url, latin1). Output: `Hash`. An unknown algorithm or a missing `Data` gives `_error` with Node\'s message.',
  configSchema: fHashConfig,
  process(input, component) {
    const { algorithm, encoding } = component.data as z.infer<typeof fHashConfig>;
    const hash = createHash(algorithm as string);
    hash.update(input.Data as string);
    // Without an encoding Node returns a Buffer; SmythOS passes that on as it is.
    return { Hash: hash.digest(encoding as BinaryToTextEncoding) };
  },
};
