/**
 * Endpoints' signing secrets: made here, shown once, and kept sealed. A
 * secret must be read back to sign every delivery, so it cannot be hashed
 * like an API key: it is encrypted with AES-256-GCM under a key derived from
 * POLARIS_WEBHOOK_SECRET_KEY, and bound to its endpoint (the id is the
 * additional data), so a sealed secret copied to another row does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The Standard Webhooks prefix of a signing secret. */
const secretPrefix = 'whsec_';
const secretBytes = 32;
const sealedVersion = 'v1';
const ivBytes = 12;
const tagBytes = 16;

/** `whsec_` and the base64 of 32 random bytes, as the standardwebhooks package reads it. */
export function generateSigningSecret(): string {
  return `${secretPrefix}${randomBytes(secretBytes).toString('base64')}`;
}

/** Seals and opens signing secrets under one key. */
export class SecretBox {
  private readonly key: Buffer;

  /** @param secretKey POLARIS_WEBHOOK_SECRET_KEY (at least 32 characters; the configuration checks it). */
  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'polaris', 'polaris/webhooks/signing-secrets', 32));
  }

  /** `v1.<base64url of iv, ciphertext and tag>`. */
  seal(secret: string, endpointId: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(endpointId));
    const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${sealedVersion}.${sealed.toString('base64url')}`;
  }

  /** @throws when the text was not sealed for this endpoint under this key. */
  open(sealed: string, endpointId: string): string {
    const [version, body] = sealed.split('.');
    if (version !== sealedVersion || !body) throw new Error('not a sealed webhook secret');
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, ivBytes));
    decipher.setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(bytes.subarray(bytes.length - tagBytes));
    return Buffer.concat([decipher.update(bytes.subarray(ivBytes, bytes.length - tagBytes)), decipher.final()]).toString('utf8');
  }
}
