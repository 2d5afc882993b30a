/** Writes config/schema.json from the zod schema (npm run schema). A test keeps it in sync. */
import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchema } from '../lib/config/schema';

export const SCHEMA_FILE = path.join(__dirname, '..', 'config', 'schema.json');
export function renderSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
