/**
 * What the manifest generator offers the deploy scripts and the tests: the
 * facts both outputs share, the settings, the objects and files it generates.
 * scripts/manifests.ts is the command that writes and checks them.
 *
 * @module
 */
export { aggregationFunction, aggregationRequestScript, aggregationSchedule } from './aggregation.js';
export { composeFile } from './compose.js';
export {
  clusterHost,
  configMapName,
  defaultImageTag,
  imageFor,
  imageRegistry,
  infrastructureImages,
  isClusterLocal,
  namespace,
  natsServer,
  postgresDatabase,
  postgresSecretName,
  postgresServer,
  processImageNames,
  secretName,
} from './facts.js';
export { knativeService } from './knative-services.js';
export { kubernetesFiles } from './kubernetes.js';
export { clusterSettings, placeholderSecrets } from './settings.js';
