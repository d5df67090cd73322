/** Flags as the operator types them, turned into GraphQL variables. */

/** `--group-by region,tier` → `["region", "tier"]`; left out → undefined (the API's default). */
export function commaList(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((item) => item.trim()).filter(Boolean);
}

/** `--window hour` → `HOUR`: GraphQL enum values are upper case. */
export function enumValue(text: string | undefined): string | undefined {
  return text?.trim().toUpperCase();
}

/** `--limit 50` → `50`; left out → undefined. */
export function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new Error(`${flag} takes a whole number, got '${text}'`);
  return Number(text);
}

/** `--where region=eu,us` → `{ key: "region", values: ["eu", "us"] }`. */
export function propertyFilter(text: string): { key: string; values: string[] } {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new Error(`--where takes <key>=<value>,<value>…, got '${text}'`);
  return { key: text.slice(0, equals).trim(), values: commaList(text.slice(equals + 1)) ?? [] };
}

/**
 * `--tier 1000:0.01` → `{ upTo: "1000", unitPrice: "0.01" }`; `--tier 10000:0.005:2`
 * adds a flat price; `*:0.001` or `:0.001` is the last tier, with no upTo.
 */
export function priceTier(text: string): { upTo?: string; unitPrice: string; flatPrice?: string } {
  const parts = text.split(':').map((part) => part.trim());
  if (parts.length < 2 || parts.length > 3 || !parts[1]) throw new Error(`--tier takes <upTo>:<unitPrice>[:<flatPrice>] (upTo * or empty for the last tier), got '${text}'`);
  const [upTo, unitPrice, flatPrice] = parts as [string, string, string | undefined];
  return { ...(upTo !== '' && upTo !== '*' && { upTo }), unitPrice, ...(flatPrice && { flatPrice }) };
}

/** `--soft true` → `true`, `--enabled no` → `false`; left out → undefined (the API's default). */
export function yesNo(flag: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (['true', 'yes', 'on'].includes(value)) return true;
  if (['false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${flag} takes true or false, got '${text}'`);
}
