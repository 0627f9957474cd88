#!/usr/bin/env node
// `conveyor` (package.json "bin"): runs cli/main.ts through tsx's CommonJS hook, since Conveyor runs
// its TypeScript sources as they are, with no build step.
'use strict';
require('tsx/cjs');
require('./main.ts')
  .runConveyor(process.argv.slice(2))
  .then((code) => process.exit(code));
