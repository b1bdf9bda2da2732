// The fair baseline: a plain JavaScript worker in the same Miniflare, answering a trivial route.
export default {
  async fetch() {
    return new Response('ok', { headers: { 'content-type': 'text/plain' } });
  },
};
