/** Flags as the operator types them, turned into GraphQL variables. */

/** `--group-by region,tier` → `["region", "tier"]`; left out → undefined (the API's default). */
export function commaList(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((item) => item.trim()).filter(Boolean);
}

/** `--window hour` → `HOUR`: GraphQL enum values are upper case. */
export function enumValue(text: string | undefined): string | undefined {
  return text?.trim().toUpperCase();
}

/** `--where region=eu,us` → `{ key: "region", values: ["eu", "us"] }`. */
export function propertyFilter(text: string): { key: string; values: string[] } {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new Error(`--where takes <key>=<value>,<value>…, got '${text}'`);
  return { key: text.slice(0, equals).trim(), values: commaList(text.slice(equals + 1)) ?? [] };
}
