/**
 * A child process that connects the way Mastodon's streaming server does: pool options from its
 * environment (mastodon-streaming-db.ts), NODE_EXTRA_CA_CERTS read by Node at start. It opens
 * DB_POOL connections at once, runs a query on each, and prints one JSON line.
 *
 * IT_CONNECT ({"port": n}) sends the TCP connection to 127.0.0.1:n while node-postgres still
 * verifies the certificate against DB_HOST, as it would in the cluster.
 */
import * as net from 'net';
import { Pool } from 'pg';
import { streamingPoolConfig } from './mastodon-streaming-db';

async function main(): Promise<void> {
  const target = JSON.parse(process.env.IT_CONNECT ?? '{}') as { port: number };
  const config = streamingPoolConfig(process.env);
  const pool = new Pool({
    ...config,
    stream: () => {
      const s = new net.Socket();
      const connect = s.connect.bind(s) as (port: number, host: string) => net.Socket;
      (s as any).connect = () => connect(target.port, '127.0.0.1');
      return s;
    },
  });
  pool.on('error', () => undefined);
  try {
    const clients = await Promise.all(Array.from({ length: config.max ?? 10 }, () => pool.connect()));
    const rows = await Promise.all(clients.map((c) => c.query('SELECT current_user AS who, 1 AS one')));
    const tls = clients.map((c) => {
      const stream = (c as any).connection.stream;
      return { encrypted: Boolean(stream.encrypted), authorized: stream.authorized === true };
    });
    for (const c of clients) c.release();
    process.stdout.write(`${JSON.stringify({ ok: true, clients: clients.length, users: [...new Set(rows.map((r) => r.rows[0].who))], tls })}\n`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stdout.write(`${JSON.stringify({ ok: false, code: err.code, error: err.message })}\n`);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
void main();
