// Runs this package's TypeScript in Node with no build step:
//   node --import ./bin/typescript.mjs some/file.ts
// or `import './typescript.mjs'` before importing a .ts file. Each .ts file is
// transformed by esbuild as it loads (typescript-hooks.mjs): types are stripped,
// nothing else changes.
//
// Not tsx, which did this before: tsx has esbuild keep function names
// (`keepNames`), which wraps every closure creation in a call that defines the
// function's `name` property: about 600 ns per closure against 2 ns (measured on
// the 2-core CI machine). Code that makes closures per step paid for it: the
// bridge client's JavaScript per step went from 12-14 to 9-11 us, and the Node
// server stepping 8 copies per request from 17-19k to 20-24k frames/s.
import { register } from 'node:module';

process.setSourceMapsEnabled(true); // stack traces name .ts lines
register('./typescript-hooks.mjs', import.meta.url);
