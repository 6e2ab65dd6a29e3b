// The TLS files a client names in its options (the agent to its tail server, anything to NATS):
// PEM paths, all optional; a CA to trust, and certFile + keyFile for mutual TLS.
import { z } from 'zod';

export const ClientTlsFilesSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
  })
  .strict();
export type ClientTlsFiles = z.infer<typeof ClientTlsFilesSchema>;
