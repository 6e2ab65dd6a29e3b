// Stream results on NATS: each answered frame of an agent's camera or video source is published
// on `cleave.results.<agent-id>.<source-id>` as JSON (core NATS: live, not stored; a consumer that
// must not miss any reads the agent's JSONL file instead). Publishing never blocks a source: while
// the connection is closed, or reconnecting past nats.js's reconnect buffer, events are dropped and
// counted.
import type { NatsConnection } from 'nats';
import { checkToken, resultsSubject } from './subjects.js';

export interface ResultPublisher {
  publish(event: { source: string }): void;
  stats(): { published: number; dropped: number };
}

const encoder = new TextEncoder();

export function createResultPublisher(nc: NatsConnection, agentId: string): ResultPublisher {
  checkToken(agentId, 'agent id');
  let published = 0;
  let dropped = 0;
  return {
    publish(event) {
      if (nc.isClosed()) {
        dropped++;
        return;
      }
      try {
        nc.publish(
          resultsSubject(agentId, checkToken(event.source, 'source id')),
          encoder.encode(JSON.stringify(event)),
        );
        published++;
      } catch {
        dropped++;
      }
    },
    stats: () => ({ published, dropped }),
  };
}
