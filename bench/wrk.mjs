// wrk, as every benchmark here runs it: one thread, BENCH_CONNECTIONS (16) connections unless told,
// --latency; `host` sets the Host header (the peer benchmark reaches each Worker by it); `timeout`
// (seconds) replaces wrk's 2 s, past which a request counts as an error and not in the latencies.
// Answers req/s, p50/p99 in ms, non-2xx count, timeouts and total requests.
import { execFileSync } from 'node:child_process';

export const SECONDS = Number(process.env.BENCH_SECONDS || 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);

export function wrk(url, { script, header, host, timeout, seconds = SECONDS, connections = CONNECTIONS } = {}) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (host) args.push('-H', `Host: ${host}`);
  if (header) args.push('-H', header);
  if (script) args.push('-s', script);
  if (timeout) args.push('--timeout', `${timeout}s`);
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: pct(50),
    p99: pct(99),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || 0),
    timeouts: Number(/Socket errors:.*timeout (\d+)/.exec(out)?.[1] || 0),
    total: Number(/(\d+) requests in/.exec(out)?.[1] || 0),
  };
}
