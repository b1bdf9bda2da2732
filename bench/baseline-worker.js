// The fair baseline: a plain JavaScript worker in the same Miniflare, answering a trivial route.
// Its queue handler (ack everything) is the baseline for the jobs Worker's cold start.
export default {
  async fetch() {
    return new Response('ok', { headers: { 'content-type': 'text/plain' } });
  },
  async queue(batch) {
    batch.ackAll();
  },
};
