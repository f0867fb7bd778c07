#!/usr/bin/env node
// The `rad` command: runs the TypeScript CLI through typescript.mjs's loader, so
// a fresh clone needs no build step.
import './typescript.mjs';

await import('../experiments/cli.ts');
