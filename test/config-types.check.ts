import type { z } from 'zod';
import type { MastodonConfigSchema } from '../lib/config/schema';
import type { MastodonConfigInput, MastodonConfigParsed } from '../lib/model/types.generated';

type ZodInput = z.input<typeof MastodonConfigSchema>;
type ZodOutput = z.output<typeof MastodonConfigSchema>;
export const inputToZod: ZodInput = null as unknown as MastodonConfigInput;
export const zodToInput: MastodonConfigInput = null as unknown as ZodInput;
export const outputToZod: ZodOutput = null as unknown as MastodonConfigParsed;
export const zodToOutput: MastodonConfigParsed = null as unknown as ZodOutput;
