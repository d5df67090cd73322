/**
 * Stands in for @grpc/proto-loader inside bundles, for @grpc/reflection only:
 * it loads its .proto files from its package folder, which a bundle does not
 * have. `loadSync` answers from the protocol definitions generated into
 * proto/gen/library-protos.ts; the rest is the real proto-loader.
 * scripts/build.ts wires it in.
 */
import * as protoLoader from '@grpc/proto-loader';
import { libraryProtos } from '../../proto/gen/library-protos.js';

export * from '@grpc/proto-loader';

export function loadSync(filename: string | string[], options?: protoLoader.Options): protoLoader.PackageDefinition {
  const name = String(filename).replaceAll('\\', '/');
  const key = Object.keys(libraryProtos).find((candidate) => name.endsWith(candidate));
  if (!key) throw new Error(`embedded-proto-loader: no embedded definition for ${name}`);
  return protoLoader.fromJSON(libraryProtos[key]!, options);
}
