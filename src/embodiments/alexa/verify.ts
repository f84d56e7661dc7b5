/**
 * Checking that a request comes from Alexa, as Amazon requires of a custom skill hosted as a web service
 * ("Verify that the request was sent by Alexa",
 * https://developer.amazon.com/en-US/docs/alexa/custom-skills/host-a-custom-skill-as-a-web-service.html):
 * 1. `SignatureCertChainUrl` is `https://s3.amazonaws.com/echo.api/…` (host case-insensitive, the path
 *    normalised, port 443 if any);
 * 2. the certificate chain there (PEM) is valid now, its leaf names `echo-api.amazon.com`, and it chains
 *    up to a trusted root — each certificate issued and signed by the next, which must be a CA;
 * 3. `Signature-256` is the base64 RSA-SHA256 signature of the raw body by the leaf's key (Amazon's page
 *    documents only this header now; the SHA-1 `Signature` header is not accepted);
 * 4. `request.timestamp` is within 150 seconds of now.
 * Built on `node:crypto`'s `X509Certificate`; the chain download and the trusted roots are injected, so
 * tests sign requests with a certificate authority of their own.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { rootCertificates } from 'node:tls';

/** Why a request is not Alexa's; the message names the failed check (answered as a 400). */
export class AlexaVerificationError extends Error {
  override name = 'AlexaVerificationError';
}

/** Largest allowed gap between a request's timestamp and now (Amazon: 150 seconds). */
export const ALEXA_MAX_SKEW_MS = 150_000;
/** The name Amazon's signing certificate carries. */
export const ALEXA_CERT_NAME = 'echo-api.amazon.com';

/** What the verifier needs. */
export interface AlexaVerifierDeps {
  /** The PEM text at a (checked) certificate chain URL. @throws on a network failure or a non-200 */
  fetchChain(url: string): Promise<string>;
  /** Trusted root certificates, PEM (default: Node's bundled roots). */
  trustedRoots?: readonly string[];
  /** ms since epoch. */
  now(): number;
}

/** One request to check: its headers, its raw body, and the timestamp the body carries. */
export interface AlexaRequestToVerify {
  certChainUrl: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  /** `request.timestamp` of the body (ISO 8601). */
  timestamp: string | undefined;
}

/** The checked chain URL, or the reason it is refused. */
export function checkChainUrl(value: string | undefined): string {
  if (!value) throw new AlexaVerificationError('Missing SignatureCertChainUrl header');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new AlexaVerificationError('SignatureCertChainUrl is not a URL');
  }
  if (url.protocol !== 'https:') throw new AlexaVerificationError('SignatureCertChainUrl must use https');
  if (url.hostname.toLowerCase() !== 's3.amazonaws.com') throw new AlexaVerificationError('SignatureCertChainUrl must be on s3.amazonaws.com');
  if (url.port !== '' && url.port !== '443') throw new AlexaVerificationError('SignatureCertChainUrl must use port 443');
  // `new URL` has already resolved `.` and `..` segments: the path is normalised.
  if (!url.pathname.startsWith('/echo.api/')) throw new AlexaVerificationError('SignatureCertChainUrl must be under /echo.api/');
  return url.toString();
}

/** PEM text → its certificates, in order. */
function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** Builds a verifier; its chains are cached by URL until their leaf expires. */
export function createAlexaVerifier(deps: AlexaVerifierDeps) {
  const roots = (deps.trustedRoots ?? rootCertificates).map((pem) => new X509Certificate(pem));
  const cache = new Map<string, { leaf: X509Certificate; expiresAt: number }>();
  // One download per URL at a time: the first requests after a start or a rotation all wait on it.
  const inFlight = new Map<string, Promise<string>>();

  async function download(url: string): Promise<string> {
    let pending = inFlight.get(url);
    if (!pending) {
      pending = deps.fetchChain(url).finally(() => inFlight.delete(url));
      inFlight.set(url, pending);
    }
    return pending;
  }

  /** The leaf of the chain at `url` once the chain checks out. */
  async function leafOf(url: string, now: number): Promise<X509Certificate> {
    const hit = cache.get(url);
    if (hit && hit.expiresAt > now) return hit.leaf;
    let chain: X509Certificate[];
    try {
      chain = certificatesOf(await download(url));
    } catch (error) {
      throw new AlexaVerificationError(`The signing certificate chain could not be read: ${(error as Error).message}`);
    }
    const leaf = chain[0];
    if (!leaf) throw new AlexaVerificationError('The signing certificate chain is empty');
    for (const cert of chain) {
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) throw new AlexaVerificationError('A certificate of the signing chain is not valid now');
    }
    const names = (leaf.subjectAltName ?? '').split(',').map((n) => n.trim());
    if (!names.includes(`DNS:${ALEXA_CERT_NAME}`)) throw new AlexaVerificationError(`The signing certificate is not for ${ALEXA_CERT_NAME}`);
    for (let i = 0; i + 1 < chain.length; i++) {
      const [cert, issuer] = [chain[i]!, chain[i + 1]!];
      // Without the CA flag, anyone holding an ordinary certificate could issue an echo-api.amazon.com one.
      if (!issuer.ca) throw new AlexaVerificationError('The signing certificate chain is broken: an issuer is not a CA');
      if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) throw new AlexaVerificationError('The signing certificate chain is broken');
    }
    const top = chain.at(-1)!;
    const trusted = roots.some((root) => root.fingerprint256 === top.fingerprint256 || (root.ca && top.checkIssued(root) && top.verify(root.publicKey)));
    if (!trusted) throw new AlexaVerificationError('The signing certificate chain does not lead to a trusted root');
    cache.set(url, { leaf, expiresAt: Date.parse(leaf.validTo) });
    return leaf;
  }

  return {
    /** Resolves when the request is Alexa's. @throws {AlexaVerificationError} naming the failed check */
    async verify(request: AlexaRequestToVerify): Promise<void> {
      const now = deps.now();
      const url = checkChainUrl(request.certChainUrl);
      if (!request.signature) throw new AlexaVerificationError('Missing Signature-256 header');
      const at = request.timestamp ? Date.parse(request.timestamp) : Number.NaN;
      if (Number.isNaN(at)) throw new AlexaVerificationError('The request has no valid timestamp');
      if (Math.abs(now - at) > ALEXA_MAX_SKEW_MS) throw new AlexaVerificationError('The request timestamp is more than 150 seconds away from now');
      const leaf = await leafOf(url, now);
      const ok = verifySignature('sha256', request.rawBody, leaf.publicKey, Buffer.from(request.signature, 'base64'));
      if (!ok) throw new AlexaVerificationError('The request signature does not match its body');
    },
  };
}

/** A verifier's API. */
export type AlexaVerifier = ReturnType<typeof createAlexaVerifier>;

/** Largest chain document read (Amazon's is about 6 KiB). */
export const ALEXA_CHAIN_MAX_BYTES = 65_536;

/**
 * Downloads a chain over HTTPS, time-boxed (5 s for the whole download), no redirects, and cut off
 * past {@link ALEXA_CHAIN_MAX_BYTES} while reading (a huge answer is never held in memory).
 * @throws {Error} on a network failure, a timeout, a non-2xx status or a document too large
 */
export async function fetchChainOverHttps(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > ALEXA_CHAIN_MAX_BYTES) {
      await reader.cancel();
      throw new Error('the chain is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
