/**
 * FEncDec: encodes text into an encoding (`hex`, `base64`, …) or decodes it back to UTF-8 text (SmythOS
 * `FEncDec.class.ts`). Buffer does the work; its errors are passed on as they are.
 */
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

/** `data` of an FEncDec component: `action` `Encode` (default) or `Decode`; `encoding` a Node Buffer encoding. */
export const fEncDecConfig = z.looseObject({
  action: z.string().optional(),
  encoding: z.string().optional(),
});

/**
 * FEncDec: input `Data` → output `Output`. `Encode`: `Buffer.from(Data).toString(encoding)`; anything else
 * (SmythOS compares with `'Encode'` only): `Buffer.from(Data, encoding).toString('utf8')`.
 * @throws Buffer's TypeError when `Data` is not a string or bytes (the engine turns it into `_error`).
 * Source: SRE `Components/FEncDec.class.ts`; fixture `/api/enc` `hello` → `68656c6c6f`.
 */
export const fEncDec: ComponentType = {
  name: 'FEncDec',
  doc: 'Encodes or decodes its `Data` input. Config: `action` (`Encode`, the default, or `Decode`) and `encoding` (hex, base64, base64url, latin1, utf8, …). Encode turns the text\'s UTF-8 bytes into that encoding; Decode reads `Data` in that encoding and answers UTF-8 text. Output: `Output`. Data that is neither text nor bytes gives `_error` with Node\'s message.',
  configSchema: fEncDecConfig,
  process(input, component) {
    const { action = 'Encode', encoding } = component.data as z.infer<typeof fEncDecConfig>;
    const data = input.Data as string;
    const enc = encoding as BufferEncoding;
    const Output = (action || 'Encode') === 'Encode' ? Buffer.from(data).toString(enc) : Buffer.from(data, enc).toString('utf8');
    return { Output };
  },
};
