// The transport alone, for `cleave bench serve`: a grpc-js server of cleave.v1.SplitInference
// whose InferStream answers every request at once with a fixed compact answer. No model, no frame
// decoding, no batching, no metrics: what is left is grpc-js, HTTP/2, protobuf and Node's streams,
// which `cleave serve` pays on every request too. It takes bundles as `cleave serve` does
// (docs/wire-format.md, "Bundles"): announced when asked, and a bundle's answers sent as one.
// Run as a child process (serve-echo.ts), it prints its port on stdout and serves until SIGTERM.
import {
  BUNDLE_METADATA_KEY,
  type InferRequest__Output,
  type InferResponse,
  loadCleaveProto,
} from '@cleave/wire';
import { Metadata, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';

/** The answer `cleave serve` gives to a compact request (cloud-server/src/compact-form.ts). */
const answer = (req: InferRequest__Output): InferResponse => ({
  id: req.id,
  label: 3,
  score_e4: 9712,
  server_100us: 1,
});

const proto = loadCleaveProto();
const server = new Server();
server.addService(proto.cleave.v1.SplitInference.service, {
  InferStream(call: ServerDuplexStream<InferRequest__Output, InferResponse>) {
    const bundling = call.metadata.get(BUNDLE_METADATA_KEY)[0] === '1';
    if (bundling) {
      const announce = new Metadata();
      announce.set(BUNDLE_METADATA_KEY, '1');
      call.sendMetadata(announce);
    }
    call.on('data', (req: InferRequest__Output) => {
      if (req.bundle.length === 0) call.write(answer(req));
      else if (bundling) call.write({ bundle: req.bundle.map(answer) });
      else for (const item of req.bundle) call.write(answer(item));
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.once('SIGTERM', () => server.forceShutdown());
