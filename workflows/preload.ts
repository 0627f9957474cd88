/**
 * Loaded once per workflow worker thread, before any workflow runs, and shared by every workflow it
 * runs (the bundle's `preloadModules`, scripts/lib/workflow-bundle.ts): zod's own modules, which hold
 * no per-workflow state. Without it each workflow evaluates zod's modules again when it starts.
 * Shared modules are frozen once loaded, so zod's one lazy global (its default locale, set by the
 * first schema built) is set here, before that.
 */
import { z } from 'zod';

z.object({ preload: z.literal('zod') }).safeParse({ preload: 'zod' });

export const preloadedZod = z;
