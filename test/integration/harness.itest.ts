/**
 * The harness itself: a server starts on a random port, answers, and is gone after stop().
 */
import { run, startServer, freePort, canConnect } from './support/servers';
import { missingPackages } from './support/programs';

test('every package the suite needs is installed', () => {
  expect(missingPackages()).toEqual([]);
});

test('a server starts on a random port and is stopped by PID', async () => {
  const port = await freePort();
  const srv = await startServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { port });
  expect(run('redis-cli', ['-p', String(port), 'PING']).stdout.trim()).toBe('PONG');
  await srv.stop();
  expect(await canConnect(port)).toBe(false);
  expect(() => process.kill(srv.pid, 0)).toThrow();
});
