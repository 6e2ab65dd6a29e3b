// The Kubernetes manifests: every overlay rendered by kustomize, every object validated against
// the Kubernetes 1.33 OpenAPI schemas (kubernetes-models) and for unknown fields
// (kubernetes-types), then names, ports, probes, selectors and the drain budget checked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveServerOptions } from '@cleave/cloud-server';
import { METRIC } from '@cleave/telemetry';
import { parse } from 'yaml';
import {
  K8S,
  type K8sObject,
  kubectl,
  kustomize,
  parseYamlDocs,
  plainResources,
  ROOT,
  schemaErrors,
  selects,
  typeErrors,
} from './k8s-support.js';

const KUSTOMIZATIONS = [
  'base',
  'overlays/dev',
  'overlays/production',
  'overlays/production-queue-depth',
  'observability',
];
const NAMESPACE: Record<string, string> = {
  'overlays/dev': 'cleave-dev',
  'overlays/production': 'cleave',
  'overlays/production-queue-depth': 'cleave',
  observability: 'cleave-observability',
};
const haveKubectl = kubectl() !== null;
const rendered = new Map<string, K8sObject[]>(
  haveKubectl ? KUSTOMIZATIONS.map((k) => [k, kustomize(join(K8S, k))]) : [],
);
const find = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (objects: K8sObject[], kind: string, name?: string) => {
  const list = find(objects, kind, name);
  assert.equal(list.length, 1, `one ${kind} ${name ?? ''}`);
  return list[0]!;
};

describe('deploy - Kubernetes manifests', { timeout: 120_000 }, () => {
  it('deploy - every resource file parses and passes the 1.33 schemas and kubernetes-types', () => {
    const all = [...KUSTOMIZATIONS, 'overlays/dev', 'overlays/production'].flatMap((k) =>
      plainResources(join(K8S, k)).flatMap((r) => r.objects),
    );
    assert.ok(all.length >= 10, `${all.length} objects`);
    assert.deepEqual(all.flatMap(schemaErrors), []);
    assert.deepEqual(typeErrors(all), []);
  });

  it('deploy - kustomize renders every overlay; each object is valid', (t) => {
    assert.ok(haveKubectl, 'kubectl (kustomize) is missing: scripts/ensure-system-deps.sh installs it');
    for (const [k, objects] of rendered) {
      t.diagnostic(`${k}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
      assert.deepEqual(objects.flatMap(schemaErrors), [], k);
      assert.deepEqual(typeErrors(objects), [], k);
      const ns = NAMESPACE[k];
      if (!ns) continue;
      for (const o of objects) {
        if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) continue;
        assert.equal(o.metadata.namespace, ns, `${k}: ${o.kind}/${o.metadata.name} in ${ns}`);
      }
      if (k.startsWith('overlays/')) one(objects, 'Namespace', ns);
    }
  });

  for (const k of ['base', 'overlays/dev', 'overlays/production', 'overlays/production-queue-depth']) {
    it(`deploy - ${k}: names, ports, probes, drain and selectors of the tail service`, () => {
      assert.ok(haveKubectl, 'kubectl (kustomize) is missing: scripts/ensure-system-deps.sh installs it');
      const objects = rendered.get(k)!;
      const dep = one(objects, 'Deployment', 'cleave-tail');
      const pod = dep.spec.template;
      const c = pod.spec.containers.find((x: { name: string }) => x.name === 'tail');
      assert.ok(c, 'container tail');
      const ports = Object.fromEntries(
        c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
      );
      assert.deepEqual(ports, { grpc: 50051, http: 8000 });
      assert.deepEqual(c.readinessProbe.grpc, { port: 50051, service: 'readiness' });
      assert.deepEqual(c.livenessProbe.grpc, { port: 50051, service: 'liveness' });
      assert.equal(c.startupProbe.grpc.service, 'liveness');
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.equal(pod.spec.securityContext.runAsNonRoot, true);
      assert.deepEqual(c.args.slice(0, 3), ['serve', '--config', '/etc/cleave/serve.yaml']);

      // The ConfigMap the pod mounts is the generated one, and the server accepts its options.
      const volume = pod.spec.volumes.find((v: { name: string }) => v.name === 'config');
      const cm = one(objects, 'ConfigMap', volume.configMap.name);
      const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'config');
      assert.equal(mount.mountPath, '/etc/cleave');
      const serve = resolveServerOptions(parse(cm.data!['serve.yaml']!));
      assert.equal(serve.host, '0.0.0.0', 'bound beyond loopback for probes and Services');
      assert.equal(serve.port, ports.grpc);
      assert.equal(serve.http.port, ports.http);

      // Drain: preStop sleep, then SIGTERM drains for at most drainTimeoutMs, all within the grace period.
      const sleep = Number(c.lifecycle.preStop.exec.command[1]);
      assert.ok(sleep > 0);
      assert.ok(pod.spec.terminationGracePeriodSeconds > sleep + serve.drainTimeoutMs / 1000 + 5);

      // Services: one headless, one ClusterIP, both on the pods, by named container ports.
      const headless = one(objects, 'Service', 'cleave-tail-headless');
      const cluster = one(objects, 'Service', 'cleave-tail');
      assert.equal(headless.spec.clusterIP, 'None');
      assert.ok(!cluster.spec.clusterIP || cluster.spec.clusterIP !== 'None');
      for (const s of [headless, cluster]) {
        assert.ok(selects(s.spec.selector, pod.metadata.labels), `${s.metadata.name} selects the pods`);
        for (const p of s.spec.ports)
          assert.ok(p.targetPort in ports, `${s.metadata.name} ${p.name} → a container port`);
      }
      assert.equal(headless.spec.ports.find((p: { name: string }) => p.name === 'grpc').port, 50051);
      assert.ok(selects(dep.spec.selector.matchLabels, pod.metadata.labels));

      const hpa = one(objects, 'HorizontalPodAutoscaler', 'cleave-tail');
      assert.deepEqual(hpa.spec.scaleTargetRef, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'cleave-tail',
      });
      assert.ok(hpa.spec.minReplicas <= dep.spec.replicas && dep.spec.replicas <= hpa.spec.maxReplicas);
      const pdb = one(objects, 'PodDisruptionBudget', 'cleave-tail');
      assert.ok(selects(pdb.spec.selector.matchLabels, pod.metadata.labels));
      assert.ok(pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable !== undefined);
      const np = one(objects, 'NetworkPolicy', 'cleave-tail');
      assert.ok(selects(np.spec.podSelector.matchLabels, pod.metadata.labels));
      const npPorts = np.spec.ingress.flatMap((r: { ports: { port: string }[] }) =>
        r.ports.map((p) => p.port),
      );
      assert.deepEqual(npPorts.sort(), ['grpc', 'http']);

      const metric = hpa.spec.metrics[0];
      if (k.endsWith('queue-depth')) {
        assert.equal(metric.pods.metric.name, 'cleave_server_queue_depth');
        const adapter = parse(
          readFileSync(join(K8S, 'components/hpa-queue-depth/prometheus-adapter-values.yaml'), 'utf8'),
        );
        assert.equal(adapter.rules.custom[0].name.as, metric.pods.metric.name);
        // The gauge exists on the server under that Prometheus name (docs/serving.md, Metrics): the
        // server records METRIC.serverQueueDepth, a unit-less gauge, so only the dots change.
        assert.equal(METRIC.serverQueueDepth.replaceAll('.', '_'), metric.pods.metric.name);
        assert.match(
          readFileSync(join(ROOT, 'cloud-server/src/server-metrics.ts'), 'utf8'),
          /createObservableGauge\(METRIC\.serverQueueDepth\b/,
        );
      } else assert.deepEqual(metric.resource.name, 'cpu');
    });
  }

  it('deploy - observability: the collector config wires its pipelines; the tail exports to it', () => {
    assert.ok(haveKubectl, 'kubectl (kustomize) is missing: scripts/ensure-system-deps.sh installs it');
    const objects = rendered.get('observability')!;
    const dep = one(objects, 'Deployment', 'otel-collector');
    const c = dep.spec.template.spec.containers[0];
    const cm = one(objects, 'ConfigMap', dep.spec.template.spec.volumes[0].configMap.name);
    assert.equal(c.args[0], `--config=${c.volumeMounts[0].mountPath}/otel-collector.yaml`);
    const cfg = parse(cm.data!['otel-collector.yaml']!);
    for (const [name, p] of Object.entries<Record<string, string[]>>(cfg.service.pipelines)) {
      for (const r of p.receivers!) assert.ok(r in cfg.receivers, `${name}: receiver ${r}`);
      for (const r of p.processors ?? []) assert.ok(r in cfg.processors, `${name}: processor ${r}`);
      for (const e of p.exporters!) assert.ok(e in cfg.exporters, `${name}: exporter ${e}`);
    }
    assert.ok(cfg.service.pipelines.traces.exporters.some((e: string) => /tempo|jaeger/.test(e)));
    assert.ok(cfg.service.pipelines.metrics.exporters.includes('prometheusremotewrite'));
    const svc = one(objects, 'Service', 'otel-collector');
    const tail = one(rendered.get('overlays/production')!, 'Deployment', 'cleave-tail');
    const env = tail.spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
    const url = new URL(env.value);
    assert.equal(url.hostname, `${svc.metadata.name}.${svc.metadata.namespace}.svc`);
    assert.ok(svc.spec.ports.some((p: { port: number }) => p.port === Number(url.port)));
  });

  it('deploy - NATS Helm values: a 3-node cluster with JetStream on volumes, leaf nodes, domain hub', () => {
    const v = parseYamlDocs(
      readFileSync(join(K8S, 'nats/values.yaml'), 'utf8'),
      'values.yaml',
    )[0] as unknown as {
      config: Record<string, Record<string, unknown> & { merge?: Record<string, unknown> }>;
    };
    assert.equal(v.config.cluster!.enabled, true);
    assert.equal(v.config.cluster!.replicas, 3);
    const js = v.config.jetstream as {
      enabled: boolean;
      fileStore: { pvc: { enabled: boolean; size: string } };
      merge: { domain: string };
    };
    assert.equal(js.enabled, true);
    assert.equal(js.fileStore.pvc.enabled, true);
    assert.match(js.fileStore.pvc.size, /^\d+Gi$/);
    assert.equal(js.merge.domain, 'hub');
    assert.equal(v.config.leafnodes!.enabled, true);
  });
});
