/**
 * Web sends its metrics to a prometheus_exporter server in another pod (lib/web-metrics.ts). The
 * chart relies on how the gem's client behaves when that server is down or hangs; the gem is not
 * installed here (rubygems.org is unreachable), so its client cannot run. What was read in
 * discourse/prometheus_exporter lib/prometheus_exporter/client.rb (ddf5c9b): `send` pushes the
 * message onto a Ruby `Queue`, drops the oldest past MAX_QUEUE_SIZE (10 000) and makes sure a
 * background thread runs; only that thread opens `TCPSocket.new(host, port, connect_timeout:
 * nil)` and writes, and `worker_loop` rescues any StandardError, logs it and retries after 0.5 s.
 *
 * This test checks, with Debian's Ruby 3.1 (Mastodon's image runs 3.4) and plain TCP endpoints,
 * the two facts that design depends on, in a script of our own written in the same shape:
 * - an endpoint with nothing listening (a Service without ready endpoints: kube-proxy rejects)
 *   fails the connect at once with Errno::ECONNREFUSED, a StandardError, so the worker's rescue
 *   catches it and the thread lives on;
 * - an endpoint that accepts but never reads (a hung exporter) blocks the sending thread in
 *   `write` once the socket buffers are full, while the producer (a Puma request thread) keeps
 *   pushing onto the bounded queue without waiting.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { freePort, run, scratchDir } from './support/servers';

/** Our own model of the client's send path: a producer, a bounded queue, one sending thread. */
const CLIENT = String.raw`
require 'socket'
require 'json'
port = Integer(ARGV[0])
max = 10_000
q = Queue.new
errors = []
sent = 0
writer = Thread.new do
  loop do
    begin
      s = TCPSocket.new('127.0.0.1', port, connect_timeout: nil)
      s.write("POST /send-metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
      while q.length > 0
        m = q.pop
        s.write("#{m.bytesize.to_s(16)}\r\n#{m}\r\n")
        sent += 1
      end
    rescue => e
      errors << e.class.name
      sleep 0.5
    end
    sleep 0.05
  end
end
payload = 'x' * 2_000
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
20_000.times do
  q << payload
  q.pop if q.length > max
end
push_ms = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) * 1000
sleep 1.5
puts JSON.generate(push_ms: push_ms, queued: q.length, sent: sent, errors: errors.uniq,
  refused_is_standard_error: Errno::ECONNREFUSED.ancestors.include?(StandardError),
  writer_alive: writer.alive?, writer_status: writer.status)
`;

let dir: string;
beforeAll(() => {
  dir = scratchDir('web-metrics');
  fs.writeFileSync(path.join(dir, 'client.rb'), CLIENT);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const client = (port: number) => {
  const r = run('ruby', [path.join(dir, 'client.rb'), String(port)], { timeoutMs: 30_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

test('exporter down (nothing listens): the connect is refused at once, rescued, retried; the producer never waits', async () => {
  const out = client(await freePort());
  expect(out.errors).toEqual(['Errno::ECONNREFUSED']);
  expect(out.refused_is_standard_error).toBe(true);
  expect(out.writer_alive).toBe(true);
  expect(out.sent).toBe(0);
  // Bounded: the oldest are dropped, the rest wait for the exporter.
  expect(out.queued).toBe(10_000);
  // 20 000 pushes: a few ms; a request thread that waited for the exporter would show seconds.
  expect(out.push_ms).toBeLessThan(1_000);
}, 60_000);

test('exporter hung (accepts, never reads): the sending thread blocks in write, the producer does not', async () => {
  // A listening socket whose connections nobody reads: the kernel completes the handshake and
  // buffers what fits. (run() blocks this process, so the server cannot read even if it wanted to.)
  const server = net.createServer((s) => s.pause());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const out = client((server.address() as net.AddressInfo).port);
    expect(out.errors).toEqual([]);
    // Stuck in write (status 'sleep'), having sent only what the socket buffers took.
    expect(out.writer_status).toBe('sleep');
    expect(out.sent).toBeGreaterThan(0);
    expect(out.sent).toBeLessThan(20_000);
    expect(out.push_ms).toBeLessThan(1_000);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 60_000);
