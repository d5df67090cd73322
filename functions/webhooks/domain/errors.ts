import { ErrorKind, NotFoundError, PolarisError } from '../../../shared/errors.js';

export class WebhookEndpointNotFoundError extends NotFoundError {
  override name = 'WebhookEndpointNotFoundError';
  constructor(id: string) {
    super('webhook_endpoint_not_found', `webhook endpoint ${id} does not exist`);
  }
}

export class WebhookMessageNotFoundError extends NotFoundError {
  override name = 'WebhookMessageNotFoundError';
  constructor(id: string) {
    super('webhook_message_not_found', `webhook message ${id} does not exist`);
  }
}

/**
 * POLARIS_WEBHOOK_SECRET_KEY is not set: signing secrets can be neither
 * sealed nor opened, so nothing is created, rotated or sent. The operator's
 * configuration, not the caller's request, is at fault.
 */
export class WebhookSecretKeyMissingError extends PolarisError {
  override name = 'WebhookSecretKeyMissingError';
  constructor() {
    super(ErrorKind.Unavailable, 'webhook_secret_key_missing', 'webhooks are off: POLARIS_WEBHOOK_SECRET_KEY is not set');
  }
}
