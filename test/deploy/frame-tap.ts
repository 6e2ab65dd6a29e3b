// A gRPC hop on 127.0.0.1 between one agent and a real tail server: every InferStream request is
// forwarded unchanged to the server and every response back, and the head fingerprint of each
// frame is read on the way (the frame's own header, decoded by @cleave/codec). The agent only
// opens InferStream; any other call is answered UNIMPLEMENTED by grpc-js.
import {
  type InferRequest__Output,
  type InferResponse__Output,
  loadCleaveProto,
  type SplitInferenceClient,
} from '@cleave/wire';
import {
  credentials,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

export interface FrameTap {
  port: number;
  /** The head fingerprint of each frame that went through, in order. */
  readonly fingerprints: string[];
  close(): Promise<void>;
}

export async function startFrameTap(serverPort: number): Promise<FrameTap> {
  const proto = loadCleaveProto();
  const upstream: SplitInferenceClient = new proto.cleave.v1.SplitInference(
    `127.0.0.1:${serverPort}`,
    credentials.createInsecure(),
  );
  const fingerprints: string[] = [];
  const server = new Server();
  const InferStream = (call: ServerDuplexStream<InferRequest__Output, InferResponse__Output>) => {
    const out = upstream.InferStream(call.metadata);
    call.on('data', (req: InferRequest__Output) => {
      // Bytes 2..5 hold the head fingerprint in frame versions 2 and 3 alike.
      fingerprints.push(Buffer.from(req.frame.subarray(2, 6)).toString('hex'));
      out.write(req);
    });
    call.on('end', () => out.end());
    call.on('cancelled', () => out.cancel());
    out.on('data', (res: InferResponse__Output) => call.write(res));
    out.on('end', () => call.end());
    // grpc-js sends an 'error' emitted on a server call as the call's status.
    out.on('error', (e: Error) => call.emit('error', e));
  };
  server.addService(
    proto.cleave.v1.SplitInference.service as ServiceDefinition,
    { InferStream } as UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    port,
    fingerprints,
    async close() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      upstream.close();
    },
  };
}
