/**
 * Each function of the registry as a Knative Service: its port, probes,
 * settings, and how far and how fast it scales by its kind.
 *
 * @module
 */
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import type { FunctionEntry, FunctionKind } from '../../shared/runtime/index.js';
import { configMapName, containerPort, imageFor, isClusterLocal, labelsFor, namespace, restrictedContainer, secretName } from './facts.js';

/** Knative autoscaling and size of a function, by its kind. */
interface ScalingProfile {
  /** Hard limit of requests in one replica; 0 is unlimited. */
  containerConcurrency: number;
  /** Concurrent requests per replica the autoscaler aims for. */
  target: number;
  resources: IResourceRequirements;
}

const scaling: Record<FunctionKind, ScalingProfile> = {
  // RPCs are short and multiplexed on one HTTP/2 connection; the autoscaler's target alone spreads them.
  grpc: {
    containerConcurrency: 0,
    target: 100,
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  },
  http: {
    containerConcurrency: 0,
    target: 100,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '384Mi' } },
  },
  // A handler holds a database transaction for its whole run (aggregation runs take turns on a lock),
  // so more in flight per replica only queues in PostgreSQL; the delivery retries a 503 from a full queue.
  event: {
    containerConcurrency: 10,
    target: 5,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '384Mi' } },
  },
};

/** Replicas a function may scale out to; bounds its share of PostgreSQL's connections. */
const maxScale = 5;

/** Every setting, from the ConfigMap and the Secret. */
const envFromConfig = [{ configMapRef: { name: configMapName } }, { secretRef: { name: secretName } }];

/**
 * One function as a Knative Service: scales to zero; gRPC functions declare
 * their port `h2c` so Knative routes HTTP/2 end to end.
 *
 * Probes name no port: Knative fills in the container's. kubelet sends the
 * liveness probe, and Knative's queue-proxy the readiness probe, as HTTP/1.1
 * GETs even on an h2c port, and that port hands HTTP/1.1 to the health
 * routes. (With Knative's `autodetect-http2` on, the queue-proxy tries h2c
 * first; gRPC answers it 415 and Knative 1.21 and later fall back to
 * HTTP/1.1.) Readiness has no `periodSeconds`, which keeps Knative's
 * sub-second probing during a cold start.
 */
export function knativeService(entry: FunctionEntry): IKnativeService {
  const profile = scaling[entry.kind];
  const labels = { ...labelsFor(entry.name, entry.service), 'polaris.dev/kind': entry.kind };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: entry.name,
      namespace,
      labels: isClusterLocal(entry) ? { ...labels, 'networking.knative.dev/visibility': 'cluster-local' } : labels,
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: {
            'autoscaling.knative.dev/min-scale': '0',
            'autoscaling.knative.dev/max-scale': String(maxScale),
            'autoscaling.knative.dev/target': String(profile.target),
          },
        },
        spec: {
          containerConcurrency: profile.containerConcurrency,
          containers: [
            {
              name: 'function',
              image: imageFor(entry.name),
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: entry.kind === 'grpc' ? 'h2c' : 'http1', containerPort }],
              envFrom: envFromConfig,
              // Knative refuses timeoutSeconds and failureThreshold here: with no periodSeconds it probes on its own schedule.
              readinessProbe: { httpGet: { path: '/health/readiness' } },
              livenessProbe: { httpGet: { path: '/health/liveness' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              resources: profile.resources,
              securityContext: restrictedContainer,
            },
          ],
        },
      },
    },
  };
}
