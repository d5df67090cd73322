/**
 * A gRPC function's name is its RPC's name in kebab-case
 * (`/polaris.identity.v1.Identity/ValidateApiKey` → `validate-api-key`), so a
 * client finds the Knative Service of any RPC without a hand-kept table.
 */
export function functionNameForRpc(methodPath: string): string {
  const rpc = methodPath.slice(methodPath.lastIndexOf('/') + 1);
  return rpc.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** `/polaris.identity.v1.Identity/ValidateApiKey` → `polaris.identity.v1.Identity`. */
export function serviceNameForRpc(methodPath: string): string {
  return methodPath.split('/')[1] ?? '';
}
