/** Text as the contract takes it, checked independently of the validators. */

/** Text PostgreSQL can store as sent: well-formed Unicode, no U+0000 (the contract refuses the rest). */
export const isStorableText = (text: string): boolean => text.isWellFormed() && !text.includes('\u0000');

/** A metric name: a lower-case letter, then up to 63 of a-z 0-9 _ . - */
export const metricPattern = /^[a-z][a-z0-9_.-]{0,63}$/;
