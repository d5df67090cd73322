/**
 * Stands in for @grpc/proto-loader where grpc-js requires it: only to serve
 * its channelz and ORCA services, which no Polaris function serves. grpc-js
 * requires it lazily for that reason, but a bundler takes the require all the
 * same, and protobufjs with it (140 KB of each HTTP and event function's
 * bundle, which no gRPC reflection needs). scripts/build.ts wires it in.
 */
export function loadSync(): never {
  throw new Error('@grpc/proto-loader is not in this bundle: grpc-js loads it only to serve channelz or ORCA, which Polaris does not');
}
