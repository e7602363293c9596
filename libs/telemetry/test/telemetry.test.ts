import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR,
  ATTRIBUTE_VALUE_LIMIT,
  activeSpanRef,
  contextFromMetadata,
  contextFromNatsHeaders,
  inSpan,
  linkTo,
  messagingAttributes,
  natsHeadersWithContext,
  OtlpJsonFileExporter,
  rpcAttributes,
  SPAN_KIND,
  startTelemetry,
  type Telemetry,
  traceContextInterceptor,
} from '../src/index.ts';

describe('telemetry', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  before(() => {
    telemetry = startTelemetry({ serviceName: 'test', exporter });
  });
  after(() => telemetry.shutdown());

  it('carries one trace across NATS headers', async () => {
    exporter.reset();
    const headers = await inSpan('publish', {}, async () => natsHeadersWithContext({ 'Nats-Msg-Id': 'job-1' }));
    assert.equal(headers.get('Nats-Msg-Id'), 'job-1');
    assert.match(headers.get('traceparent'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await inSpan('consume', { parent: contextFromNatsHeaders(headers) }, async () => {});
    const [publish, consume] = exporter.getFinishedSpans();
    assert.equal(consume!.spanContext().traceId, publish!.spanContext().traceId);
    assert.equal(consume!.parentSpanContext?.spanId, publish!.spanContext().spanId);
  });

  it('follows the semantic conventions: span kinds, rpc.* and messaging.*, resource attributes, bounded values', async () => {
    exporter.reset();
    await inSpan('Pruner/Prune', { kind: SPAN_KIND.server, attributes: rpcAttributes('/rewind.v1.Pruner/Prune') }, async (span) => {
      span.setAttribute('rewind.note', 'x'.repeat(5000));
    });
    await inSpan('rewind.jobs.train publish', { kind: SPAN_KIND.producer, attributes: messagingAttributes('rewind.jobs.train', 'publish') }, async () => {});
    const [server, producer] = exporter.getFinishedSpans();
    assert.equal(server!.kind, SpanKind.SERVER);
    assert.deepEqual(
      [server!.attributes['rpc.system'], server!.attributes['rpc.service'], server!.attributes['rpc.method']],
      ['grpc', 'rewind.v1.Pruner', 'Prune'],
    );
    assert.equal((server!.attributes['rewind.note'] as string).length, ATTRIBUTE_VALUE_LIMIT);
    assert.equal(producer!.kind, SpanKind.PRODUCER);
    assert.deepEqual(
      [producer!.attributes['messaging.system'], producer!.attributes['messaging.destination.name'], producer!.attributes['messaging.operation.type']],
      ['nats', 'rewind.jobs.train', 'publish'],
    );
    const resource = server!.resource;
    assert.equal(resource.attributes['service.name'], 'test');
    assert.equal(resource.attributes['service.namespace'], 'rewind');
    assert.match(String(resource.attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
    assert.equal(resource.attributes['process.pid'], process.pid);
    assert.ok(resource.attributes['host.name'], 'the host is named');
    assert.equal(resource.attributes['process.runtime.name'], 'nodejs');
  });

  it('a real gRPC call is a CLIENT span with rpc.* and the status code, parent of the SERVER span', async () => {
    exporter.reset();
    const definition = {
      Echo: {
        path: '/rewind.test.Echoer/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    };
    const server = new grpc.Server();
    server.addService(definition, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        inSpan('echo', { kind: SPAN_KIND.server, parent: contextFromMetadata(call.metadata), attributes: rpcAttributes(call.getPath()) }, async () => {
          if (call.request.toString() === 'fail') throw new Error('asked to fail');
          return call.request;
        }).then(
          (r) => callback(null, r),
          (e: Error) => callback({ code: grpc.status.INVALID_ARGUMENT, details: e.message }),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const Client = grpc.makeGenericClientConstructor(definition, 'Echoer');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [traceContextInterceptor] });
    const echo = (text: string) =>
      new Promise<void>((resolve) => (client as unknown as { Echo(request: Buffer, done: () => void): void }).Echo(Buffer.from(text), () => resolve()));
    try {
      await echo('hi');
      await echo('fail');
    } finally {
      client.close();
      server.forceShutdown();
    }
    const spans = exporter.getFinishedSpans();
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    assert.equal(clients.length, 2);
    assert.equal(servers.length, 2);
    for (const [i, client] of clients.entries()) {
      assert.equal(client.name, 'rewind.test.Echoer/Echo');
      assert.deepEqual([client.attributes['rpc.system'], client.attributes['rpc.service'], client.attributes['rpc.method']], ['grpc', 'rewind.test.Echoer', 'Echo']);
      assert.equal(servers[i]!.parentSpanContext?.spanId, client.spanContext().spanId, 'the server span is the client span\'s child');
      assert.equal(servers[i]!.attributes['rpc.method'], 'Echo');
    }
    assert.equal(clients[0]!.attributes['rpc.grpc.status_code'], grpc.status.OK);
    assert.equal(clients[1]!.attributes['rpc.grpc.status_code'], grpc.status.INVALID_ARGUMENT);
    assert.equal(clients[1]!.status.code, SpanStatusCode.ERROR);
  });

  it('carries one trace across gRPC metadata', async () => {
    exporter.reset();
    const metadata = new Metadata();
    await inSpan('call', {}, async () => propagation.inject(context.active(), metadata, { set: (m, k, v) => m.set(k, v) }));
    await inSpan('serve', { parent: contextFromMetadata(metadata) }, async () => {});
    const [call, serve] = exporter.getFinishedSpans();
    assert.equal(serve!.parentSpanContext?.spanId, call!.spanContext().spanId);
  });

  it('starts a fresh trace when a message has no context', async () => {
    exporter.reset();
    await inSpan('orphan', { parent: contextFromNatsHeaders(undefined) }, async () => {});
    assert.equal(exporter.getFinishedSpans()[0]!.parentSpanContext, undefined);
  });

  it('links a span to the one that wrote a checkpoint, and records failures', async () => {
    exporter.reset();
    const writer = await inSpan('write', { attributes: { [ATTR.checkpoint]: 'abc' } }, async () => activeSpanRef());
    assert.ok(writer);
    await assert.rejects(
      inSpan('ticket', { links: [linkTo(writer)], attributes: { [ATTR.rewindCheckpoint]: 'abc' } }, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    const ticket = exporter.getFinishedSpans()[1]!;
    assert.equal(ticket.links[0]!.context.spanId, writer.spanId);
    assert.equal(ticket.status.message, 'boom');
    assert.equal(ticket.attributes[ATTR.rewindCheckpoint], 'abc');
  });

  it('writes OTLP-JSON lines to a file', async () => {
    exporter.reset();
    const dir = await mkdtemp(join(tmpdir(), 'rewind-otel-'));
    try {
      await inSpan('x', { attributes: { [ATTR.sweep]: 's1' } }, async () => {});
      const file = join(dir, 'trace.jsonl');
      const fileExporter = new OtlpJsonFileExporter(file);
      await new Promise<void>((resolve, reject) =>
        fileExporter.export(exporter.getFinishedSpans(), (r) => (r.code === 0 ? resolve() : reject(r.error))),
      );
      const line = JSON.parse((await readFile(file, 'utf8')).trim());
      const span = line.resourceSpans[0].scopeSpans[0].spans[0];
      assert.equal(span.name, 'x');
      assert.deepEqual(span.attributes[0], { key: ATTR.sweep, value: { stringValue: 's1' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not reject on shutdown when the OTLP collector is absent', async () => {
    const t = startTelemetry({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } });
    await inSpan('lost', {}, async () => {});
    await t.shutdown();
    // Re-register the in-memory provider for any later test.
    telemetry = startTelemetry({ serviceName: 'test', exporter });
  });
});
