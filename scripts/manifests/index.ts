/**
 * What the manifest generator offers the deploy scripts and the tests: the
 * facts both outputs share, the settings, the objects and files it generates.
 * scripts/manifests.ts is the command that writes and checks them.
 *
 * @module
 */

export { composeFile } from './compose.js';
export { configMapName, imageFor, namespace, processImageNames, secretName } from './facts.js';
export { kubernetesFiles } from './kubernetes.js';
export { placeholderSecrets } from './settings.js';
