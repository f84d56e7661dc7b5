/**
 * The Postman collection of an agent (research/smythos.md §7 "Postman", §12 item 31; server-common
 * `PostmanRole`): its OpenAPI document through `openapi-to-postmanv2`, downloaded as
 * `<agent name>.postman.json`. The collection's base URL is its variable `baseUrl` (the document's
 * server); when the skills need a credential every request carries `Authorization: Bearer
 * {{bearerToken}}`, a variable the collection declares empty for the user to fill.
 */
import Converter from 'openapi-to-postmanv2';
import type { CollectionResult } from 'openapi-to-postmanv2';
import type { OpenApiDocument } from './spec.ts';

/** The converter refused the document or failed; `message` is its reason. */
export class PostmanConversionError extends Error {
  override name = 'PostmanConversionError';
}

/** A Postman collection (v2.1), as far as we touch it. */
export type PostmanCollection = Record<string, unknown> & { auth?: unknown; variable?: { key: string; value: string; type?: string; description?: string }[] };

/** The collection variable holding the credential of secured agents. */
export const BEARER_VARIABLE = 'bearerToken';

function convert(document: OpenApiDocument): Promise<CollectionResult> {
  return new Promise((resolve, reject) => {
    try {
      // The v2 converter with example values: type-valid values (`true`, `1`, `"string"`) where the
      // default placeholders (`<boolean>`) would make a skill refuse its inputs.
      Converter.convertV2({ type: 'json', data: document }, { requestNameSource: 'Fallback', folderStrategy: 'Paths', schemaFaker: true, parametersResolution: 'Example' }, (error, result) =>
        error || !result ? reject(new PostmanConversionError(error?.message ?? 'the converter gave no result')) : resolve(result),
      );
    } catch (error) {
      reject(new PostmanConversionError((error as Error).message));
    }
  });
}

/**
 * The Postman collection (v2.1) of `document`.
 * @throws PostmanConversionError with the converter's reason when it refuses the document
 */
export async function postmanCollection(document: OpenApiDocument): Promise<PostmanCollection> {
  const result = await convert(document);
  const collection = result.output?.find((o) => o.type === 'collection')?.data as PostmanCollection | undefined;
  if (!result.result || !collection) throw new PostmanConversionError(result.reason ?? 'the converter made no collection');
  // The converter points the auth at {{bearerToken}} without declaring it: declared, Postman shows it.
  if (JSON.stringify(collection.auth ?? null).includes(`{{${BEARER_VARIABLE}}}`) && !collection.variable?.some((v) => v.key === BEARER_VARIABLE)) {
    collection.variable = [
      ...(collection.variable ?? []),
      { key: BEARER_VARIABLE, value: '', type: 'string', description: "The agent owner's Orrery access token, or the agent's API key" },
    ];
  }
  return collection;
}

/**
 * `Content-Disposition` of the download `<name>.postman.json` (RFC 6266): `filename` in ASCII, `"` and
 * `\` and other bytes replaced by `_`, and, when that changed anything, `filename*` with the exact
 * UTF-8 name.
 */
export function attachmentHeader(name: string): string {
  const file = `${name}.postman.json`;
  const ascii = file.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const exact = ascii === file ? '' : `; filename*=UTF-8''${encodeURIComponent(file).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
  return `attachment; filename="${ascii}"${exact}`;
}
