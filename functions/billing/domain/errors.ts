import { ConflictError, NotFoundError } from '../../../shared/errors.js';

export class InvoiceNotFoundError extends NotFoundError {
  override name = 'InvoiceNotFoundError';
  constructor(id: string) {
    super('invoice_not_found', `invoice ${id} does not exist`);
  }
}

/** An organization's plans share one currency, so one invoice can total them. */
export class CurrencyMismatchError extends ConflictError {
  override name = 'CurrencyMismatchError';
  constructor(existing: string, requested: string) {
    super('currency_mismatch', `currency: the organization's plans are in ${existing}; a plan in ${requested} cannot join them`);
  }
}

/** Only a finalized invoice can be voided: a draft is still changing, a void one is done. */
export class InvoiceNotFinalizedError extends ConflictError {
  override name = 'InvoiceNotFinalizedError';
  constructor(id: string, status: string) {
    super('invoice_not_finalized', `invoice ${id} is ${status}; only a finalized invoice can be voided`);
  }
}

/** Only an issued invoice (finalized, or voided since) is paid or not: a draft is still changing. */
export class InvoiceIsDraftError extends ConflictError {
  override name = 'InvoiceIsDraftError';
  constructor(id: string) {
    super('invoice_is_draft', `invoice ${id} is a draft; only a finalized invoice has a payment status`);
  }
}
