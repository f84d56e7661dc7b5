/**
 * FSign: an HMAC or RSA signature of its `Data` input (SmythOS `FSign.class.ts`). The key comes from the
 * `Key` input or the `key` setting (template-parsed over the inputs); Node's crypto does the signing and
 * its errors are passed on unchanged — a `Key` that received several values is an array, and Node's
 * `The "key" argument must be of type string or … Received an instance of Array` is what SmythOS answers.
 */
import { constants, createHmac, createSign } from 'node:crypto';
import type { BinaryLike, BinaryToTextEncoding, SignPrivateKeyInput } from 'node:crypto';
import { stringify as querystringify } from 'node:querystring';
import type { ParsedUrlQueryInput } from 'node:querystring';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';
import { parseTemplate } from '../engine/template.ts';

/**
 * `data` of an FSign component. `signMethod` `HMAC` (default) or `RSA`; `hashType` (default `md5`);
 * `encoding` (default `hex`); `dataTransform` `None` (default), `Stringify` or `Querystring` for non-string
 * data; `RSA_padding`/`RSA_saltLength` names of `crypto.constants` (e.g. `RSA_PKCS1_PSS_PADDING`).
 */
export const fSignConfig = z.looseObject({
  key: z.unknown().optional(),
  signMethod: z.string().optional(),
  dataTransform: z.string().optional(),
  hashType: z.string().optional(),
  RSA_padding: z.string().optional(),
  RSA_saltLength: z.string().optional(),
  encoding: z.string().optional(),
});
type FSignConfig = z.infer<typeof fSignConfig>;

/**
 * FSign: inputs `Data`, `Key` → output `Signature` (null for a sign method other than HMAC/RSA, as in SmythOS).
 * @throws Node's crypto errors (bad key type, unknown digest, malformed PEM); the engine makes them `_error`.
 * Source: SRE `Components/FSign.class.ts`; fixture `functions-components.smyth` `/api/sign`.
 */
export const fSign: ComponentType = {
  name: 'FSign',
  doc: 'Signs its `Data` input. Config: `signMethod` (`HMAC`, the default, or `RSA`), `hashType` (default md5), `encoding` (default hex), `key` (used when no `Key` input arrives; `{{name}}` placeholders are filled from the inputs and variables), `dataTransform` (`None`, `Stringify` or `Querystring`, applied to non-string data) and for RSA `RSA_padding`/`RSA_saltLength` (names of Node crypto constants; the key is a PEM private key). Output: `Signature`. A key of the wrong type, an unknown hash or a bad PEM gives `_error` with Node\'s message.',
  configSchema: fSignConfig,
  process(input, component) {
    const config = component.data as FSignConfig;
    let data = input.Data;
    const key = parseTemplate(input.Key || config.key, input);
    const signMethod = config.signMethod || 'HMAC';
    const dataTransform = config.dataTransform || 'None';
    if (typeof data !== 'string') {
      if (dataTransform === 'Stringify') data = JSON.stringify(data);
      else if (dataTransform === 'Querystring') data = querystringify(data as ParsedUrlQueryInput);
    }
    return { Signature: sign(data, key, signMethod, config.encoding || 'hex', config.hashType || 'md5', config) };
  },
};

function sign(data: unknown, key: unknown, signMethod: string, encoding: string, hashType: string, config: FSignConfig): string | null {
  if (signMethod === 'RSA') {
    const signer = createSign(`RSA-${hashType}`.toUpperCase());
    signer.update(data as BinaryLike);
    const named = (name: string | undefined) => (name ? (constants as unknown as Record<string, number>)[name] : undefined);
    return signer.sign(
      { key: key as SignPrivateKeyInput['key'], padding: named(config.RSA_padding), saltLength: named(config.RSA_saltLength) },
      encoding.toLowerCase() as BinaryToTextEncoding,
    );
  }
  if (signMethod === 'HMAC') {
    const hmac = createHmac(hashType, key as BinaryLike);
    hmac.update(data as BinaryLike);
    return hmac.digest(encoding as BinaryToTextEncoding);
  }
  return null;
}
