/**
 * Installs the Debian packages the integration suite needs, once, before any test runs.
 * As root it runs `apt-get update` once and `apt-get install -y` for what is missing; otherwise
 * it names the command to run and fails.
 */
import { execFileSync } from 'child_process';
import { isRoot, missingPackages } from './programs';

export default function globalSetup(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (!isRoot()) throw new Error(`the integration suite needs Debian packages that are missing: run as root: ${cmd}`);
  process.stdout.write(`\nintegration: installing ${missing.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env, timeout: 600_000 });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(', ')}`);
}
