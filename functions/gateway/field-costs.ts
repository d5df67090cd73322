/**
 * What each field costs: the RPCs one resolution of it makes, as its
 * resolver makes them. Declared beside the access rules, for the same fields:
 * `fieldCosts` must name every field of `fieldAccess` (the type checker
 * refuses it otherwise), and the gateway refuses to start when a field of
 * another type has a resolver of its own but no cost, or when a list whose
 * items cost RPCs does not say how long it may be (`fieldsWithoutCosts`).
 * functions/gateway/cost.ts adds a request's fields up.
 */
import { getNamedType, getNullableType, isListType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { fieldAccess, GuardedType } from './access.js';

/**
 * A list's length, for what its items cost: the argument that bounds it
 * (`default` when left out, never more than `max`), or, for a list no
 * argument bounds, the most it is expected to hold.
 */
export type ListSize = number | { argument: string; default: number; max: number };

export interface FieldCost {
  /** RPCs one resolution of the field makes; 0 when it answers from its parent's data. */
  rpcs: number;
  /** For a list whose items have fields that cost RPCs: how many items to count them for. */
  items?: ListSize;
}

/** Answered from the parent's data. */
const free: FieldCost = { rpcs: 0 };
/** One RPC. */
const rpc: FieldCost = { rpcs: 1 };
/** Two RPCs: a read first (what a tenant names is its own; the terms a change keeps), then the change. */
const twoRpcs: FieldCost = { rpcs: 2 };
const list = (items: ListSize): FieldCost => ({ rpcs: 1, items });

type CostsOf<T extends GuardedType> = { [F in keyof (typeof fieldAccess)[T]]: FieldCost };

export const fieldCosts = {
  Query: {
    // Identity's organization, cached by the gateway: an RPC on a miss.
    me: rpc,
    usage: rpc,
    meters: rpc,
    usageStorage: rpc,
    invoices: rpc,
    usageAlerts: rpc,
    entitlement: rpc,
    // Every organization, each of whose fields may cost an RPC: counted as a thousand, so that
    // asking every organization for its usage is refused unless the operator raises the limit.
    organizations: list(1000),
    organization: rpc,
    viewer: rpc,
    // A user's organizations, each of whose fields may cost an RPC.
    memberships: list(20),
    auditLog: list({ argument: 'limit', default: 1000, max: 1000 }),
    webhookEndpoints: rpc,
    webhookDeliveries: list({ argument: 'limit', default: 50, max: 250 }),
  },
  Organization: {
    id: free,
    name: free,
    createdAt: free,
    externalId: free,
    usage: rpc,
    invoices: rpc,
    plans: rpc,
    planHistory: rpc,
    billingTerms: rpc,
    apiKeys: rpc,
    members: rpc,
    invitations: rpc,
    usageAlerts: rpc,
    // Each entitlement's access is a CheckEntitlement of its own.
    entitlements: list(20),
    entitlement: rpc,
    stripe: rpc,
    // Read from the organization the parent already holds.
    limits: free,
  },
  Mutation: {
    recordUsage: rpc,
    createOrganization: rpc,
    createApiKey: rpc,
    revokeApiKey: twoRpcs,
    setPlan: rpc,
    generateInvoice: rpc,
    finalizeInvoice: rpc,
    voidInvoice: rpc,
    closeInvoices: rpc,
    setBillingTerms: twoRpcs,
    createMeter: rpc,
    createServiceKey: rpc,
    createUsageAlert: rpc,
    deleteUsageAlert: rpc,
    setEntitlement: rpc,
    deleteEntitlement: rpc,
    createPasswordReset: rpc,
    signIn: rpc,
    refreshSession: rpc,
    signOut: rpc,
    acceptInvitation: rpc,
    resetPassword: rpc,
    changePassword: rpc,
    inviteUser: rpc,
    setMemberRole: twoRpcs,
    removeMember: twoRpcs,
    revokeInvitation: twoRpcs,
    setStripeCustomer: rpc,
    sendInvoiceToStripe: rpc,
    createWebhookEndpoint: rpc,
    updateWebhookEndpoint: rpc,
    rotateWebhookSecret: rpc,
    deleteWebhookEndpoint: rpc,
    redeliverWebhook: rpc,
    setOrganizationLimits: rpc,
  },
  // Fields of other types cost nothing unless their resolvers call a service: those are named here.
  Entitlement: {
    access: rpc,
  },
} satisfies { [T in GuardedType]: CostsOf<T> } & Record<string, Record<string, FieldCost>>;

/** A field's declared cost; a field of a type outside the guarded ones that is not named costs nothing. */
export function costOfField(typeName: string, fieldName: string): FieldCost {
  return (fieldCosts as Record<string, Record<string, FieldCost>>)[typeName]?.[fieldName] ?? free;
}

/**
 * `Type.field` of every field that has a resolver of its own but no cost, of
 * every list whose items have fields that cost RPCs but no `items`, and of
 * every cost that names no field. `resolvers`: the gateway's resolver map.
 */
export function fieldsWithoutCosts(schema: GraphQLSchema, resolvers: Record<string, unknown>): string[] {
  const declared = fieldCosts as Record<string, Record<string, FieldCost>>;
  const problems: string[] = [];
  for (const [typeName, costs] of Object.entries(declared)) {
    const type = schema.getType(typeName);
    const fields = type && isObjectType(type) ? type.getFields() : {};
    for (const field of Object.keys(costs)) if (!Object.hasOwn(fields, field)) problems.push(`${typeName}.${field} (a cost for no field)`);
  }
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (!isObjectType(schema.getType(typeName)) || typeof fields !== 'object' || fields === null) continue;
    for (const [field, resolve] of Object.entries(fields)) {
      if (typeof resolve === 'function' && !Object.hasOwn(declared[typeName] ?? {}, field)) problems.push(`${typeName}.${field}`);
    }
  }
  const costly = new Map<string, boolean>();
  const mayCost = (type: GraphQLObjectType): boolean => {
    if (!costly.has(type.name)) {
      costly.set(type.name, false); // a cycle adds nothing
      costly.set(
        type.name,
        Object.values(type.getFields()).some((field) => {
          const named = getNamedType(field.type);
          return costOfField(type.name, field.name).rpcs > 0 || (isObjectType(named) && mayCost(named));
        }),
      );
    }
    return costly.get(type.name)!;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const item = getNamedType(field.type);
      if (isListType(getNullableType(field.type)) && isObjectType(item) && mayCost(item) && costOfField(type.name, field.name).items === undefined) {
        problems.push(`${type.name}.${field.name} (a list of ${item.name}, whose fields cost RPCs, without items)`);
      }
    }
  }
  return problems;
}
